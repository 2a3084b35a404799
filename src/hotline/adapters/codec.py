"""JSON codec between ASTM F3548-21 shapes and the canonical domain types.

Contract: this is the one converter at the JSON edge, used by the API (after pydantic has
checked the shape) and by storage. Input accepts F3548 ``Volume4D`` with the extensions Hotline
documents: altitude ``reference`` W84 | AMSL | PRESSURE and ``units`` M | FT | FL (FL only with
PRESSURE); circle radius ``units`` M | FT | NM | KM. Output is always metres. Errors raise
:class:`~hotline.domain.errors.InvalidInput` located at the offending path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotline.domain.altitude import AltitudeBand, AltitudeReference, VerticalOverlap
from hotline.domain.errors import HotlineError, InvalidInput
from hotline.domain.geometry import Circle, Footprint, LatLng, Polygon
from hotline.domain.notice import (
    Conflict,
    Declaration,
    Kind,
    LeadTime,
    Notice,
    NoticeState,
    Ref,
    VolumeOverlap,
    Zone,
    ZoneRole,
)
from hotline.domain.time import format_rfc3339, parse_rfc3339
from hotline.domain.units import FL, length_to_m
from hotline.domain.volume import TimeWindow, Volume4D

Json = dict[str, Any]


def _located(where: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except HotlineError as exc:
        raise exc.at(where) from None


# ---------------------------------------------------------------- decoding (input)


def altitude_to_m(alt: Json) -> tuple[float, AltitudeReference]:
    try:
        reference = AltitudeReference(alt.get("reference", "W84"))
    except ValueError:
        raise InvalidInput(
            f"unknown altitude reference {alt.get('reference')!r}",
            hint="use W84 (ellipsoid, as F3548), AMSL or PRESSURE (flight levels)",
        ) from None
    units = alt.get("units", "M")
    value = float(alt["value"])
    if units == "FL":
        if reference is not AltitudeReference.PRESSURE:
            raise InvalidInput(
                "units FL need reference PRESSURE", hint="flight levels are pressure altitudes"
            )
        return value * FL, reference
    if units not in ("M", "FT"):
        raise InvalidInput(f"unknown altitude units {units!r}", hint="use M, FT or FL")
    return length_to_m(value, units), reference


def band_from_json(lower: Json, upper: Json) -> AltitudeBand:
    lo, ref_lo = _located("altitude_lower", altitude_to_m, lower)
    hi, ref_hi = _located("altitude_upper", altitude_to_m, upper)
    if ref_lo is not ref_hi:
        raise InvalidInput(
            f"altitude_lower is {ref_lo} but altitude_upper is {ref_hi}",
            hint="give both limits of a band in the same reference",
        )
    return AltitudeBand(lo, hi, ref_lo)


def latlng_from_json(p: Json) -> LatLng:
    return LatLng(float(p["lat"]), float(p["lng"]))


def footprint_from_json(volume: Json, trusted: bool = False) -> Footprint:
    polygon, circle = volume.get("outline_polygon"), volume.get("outline_circle")
    if (polygon is None) == (circle is None):
        raise InvalidInput(
            "a volume needs exactly one of outline_polygon and outline_circle",
            hint="give the footprint as a polygon of vertices or as a circle",
        )
    if polygon is not None:
        vertices = tuple(latlng_from_json(v) for v in polygon["vertices"])
        if trusted:
            return Polygon.trusted(vertices)
        made: Polygon = _located("outline_polygon", Polygon, vertices)
        return made
    assert circle is not None
    radius = circle["radius"]
    radius_m = _located("outline_circle.radius", length_to_m, float(radius["value"]),
                        radius.get("units", "M"))
    disc: Circle = _located("outline_circle", Circle, latlng_from_json(circle["center"]),
                            radius_m)
    return disc


def time_from_json(t: Json, what: str) -> datetime:
    fmt = t.get("format", "RFC3339")
    if fmt != "RFC3339":
        raise InvalidInput(f"{what} format {fmt!r} is not supported", hint="use RFC3339")
    return parse_rfc3339(str(t["value"]), what)


def volume_from_json(v: Json, trusted: bool = False) -> Volume4D:
    vol = v["volume"]
    footprint = _located("volume", footprint_from_json, vol, trusted)
    band = _located("volume", band_from_json, vol["altitude_lower"], vol["altitude_upper"])
    if "time_start" not in v or "time_end" not in v:
        raise InvalidInput(
            "time_start and time_end are required", hint="give both, RFC 3339 with 'Z'"
        )
    window = TimeWindow(
        _located("time_start", time_from_json, v["time_start"], "time_start"),
        _located("time_end", time_from_json, v["time_end"], "time_end"),
    )
    return Volume4D(footprint, band, window)


def volumes_from_json(items: list[Json], trusted: bool = False) -> tuple[Volume4D, ...]:
    if not items:
        raise InvalidInput("no volumes given", hint="give at least one Volume4D in 'volumes'")
    return tuple(
        _located(f"volumes[{i}]", volume_from_json, v, trusted) for i, v in enumerate(items)
    )


# ---------------------------------------------------------------- encoding (output)


def _alt(value_m: float, reference: AltitudeReference) -> Json:
    return {"value": round(value_m, 3), "reference": reference.value, "units": "M"}


def _time(t: datetime) -> Json:
    return {"value": format_rfc3339(t), "format": "RFC3339"}


def footprint_to_json(f: Footprint) -> Json:
    if isinstance(f, Polygon):
        return {"outline_polygon": {"vertices": [{"lat": p.lat, "lng": p.lng} for p in f.vertices]}}
    return {
        "outline_circle": {
            "center": {"lat": f.center.lat, "lng": f.center.lng},
            "radius": {"value": f.radius_m, "units": "M"},
        }
    }


def volume_to_json(v: Volume4D) -> Json:
    volume = footprint_to_json(v.footprint)
    volume["altitude_lower"] = _alt(v.band.lower_m, v.band.reference)
    volume["altitude_upper"] = _alt(v.band.upper_m, v.band.reference)
    return {"volume": volume, "time_start": _time(v.window.start), "time_end": _time(v.window.end)}


def lead_time_to_json(lt: LeadTime) -> Json:
    return {"measured_s": round(lt.measured_s, 3), "required_s": lt.required_s, "late": lt.late}


def declaration_to_json(d: Declaration) -> Json:
    body: Json = {
        "id": d.id,
        "kind": d.kind.value,
        "owner": d.owner,
        "officer": d.officer,
        "version": d.version,
        "volumes": [volume_to_json(v) for v in d.volumes],
        "created_at": format_rfc3339(d.created_at),
        "updated_at": format_rfc3339(d.updated_at),
        "filed_at": format_rfc3339(d.filed_at),
        "lead_time": lead_time_to_json(d.lead_time),
    }
    if isinstance(d, Notice):
        body.update(state=d.state.value, priority=d.priority, purpose=d.purpose)
    elif isinstance(d, Zone):
        body.update(role=d.role.value, name=d.name)
    return body


def declaration_from_json(body: Json, trusted: bool = False) -> Declaration:
    """Decode what :func:`declaration_to_json` wrote (storage round trip); ``trusted`` skips
    re-checking polygons that were checked when first accepted."""
    common: Json = {
        "id": body["id"],
        "owner": body["owner"],
        "officer": body["officer"],
        "version": int(body["version"]),
        "volumes": volumes_from_json(body["volumes"], trusted),
        "created_at": parse_rfc3339(body["created_at"]),
        "updated_at": parse_rfc3339(body["updated_at"]),
        "filed_at": parse_rfc3339(body["filed_at"]),
        "lead_time": LeadTime(body["lead_time"]["measured_s"], body["lead_time"]["required_s"]),
    }
    if body["kind"] == Kind.NOTICE:
        return Notice(
            **common,
            state=NoticeState(body["state"]),
            priority=int(body["priority"]),
            purpose=body["purpose"],
        )
    return Zone(**common, role=ZoneRole(body["role"]), name=body.get("name", ""))


def ref_to_json(r: Ref) -> Json:
    return {"kind": r.kind.value, "id": r.id, "owner": r.owner}


def ref_from_json(j: Json) -> Ref:
    return Ref(Kind(j["kind"]), j["id"], j["owner"])


def overlap_to_json(o: VolumeOverlap) -> Json:
    return {
        "volume": o.volume,
        "other_volume": o.other_volume,
        "time_start": _time(o.window.start),
        "time_end": _time(o.window.end),
        "altitude_lower": _alt(o.vertical.lower_m, o.vertical.reference),
        "altitude_upper": _alt(o.vertical.upper_m, o.vertical.reference),
        "vertical_gap_m": o.vertical.gap_m,
        "horizontal_distance_m": o.distance_m,
    }


def overlap_from_json(j: Json) -> VolumeOverlap:
    ref = AltitudeReference(j["altitude_lower"]["reference"])
    return VolumeOverlap(
        volume=j["volume"],
        other_volume=j["other_volume"],
        window=TimeWindow(parse_rfc3339(j["time_start"]["value"]),
                          parse_rfc3339(j["time_end"]["value"])),
        vertical=VerticalOverlap(
            j["altitude_lower"]["value"], j["altitude_upper"]["value"], ref, j["vertical_gap_m"]
        ),
        distance_m=j["horizontal_distance_m"],
    )


def conflict_to_json(c: Conflict) -> Json:
    return {
        "subject": ref_to_json(c.subject),
        "with": ref_to_json(c.other),
        "overlaps": [overlap_to_json(o) for o in c.overlaps],
        "detected_at": format_rfc3339(c.detected_at),
        "lead_time": lead_time_to_json(c.lead_time),
    }


def conflict_from_json(j: Json) -> Conflict:
    return Conflict(
        subject=ref_from_json(j["subject"]),
        other=ref_from_json(j["with"]),
        overlaps=tuple(overlap_from_json(o) for o in j["overlaps"]),
        detected_at=parse_rfc3339(j["detected_at"]),
        lead_time=LeadTime(j["lead_time"]["measured_s"], j["lead_time"]["required_s"]),
    )
