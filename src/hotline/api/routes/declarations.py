"""``/v1/notices`` and ``/v1/zones``: file, amend, withdraw, read and list declarations.

Contract: PUT creates (201) or, with ``version`` in the body or ``If-Match``, updates (200);
the answer lists every conflict with other parties' declarations. GET of another party's
declaration shows only owner and reserved volumes unless the two conflict. Lists take
``bbox=min_lat,min_lng,max_lat,max_lng``, ``start``/``end`` (RFC 3339), ``mine``, ``limit`` and
``after`` (the last id of the previous page). Routes return ``JSONResponse`` directly: the
codec already made plain JSON, and FastAPI's generic encoder would walk it again.
"""


from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from hotline.adapters.codec import conflict_to_json, declaration_to_json, volume_to_json
from hotline.api.auth import DECLARE, READ, requires
from hotline.api.schemas import NoticeIn, ZoneIn
from hotline.domain.altitude import AltitudeBand
from hotline.domain.errors import InvalidInput
from hotline.domain.geometry import LatLng, Polygon
from hotline.domain.jsontext import dumps_bytes
from hotline.domain.notice import Kind
from hotline.domain.time import parse_rfc3339
from hotline.domain.volume import TimeWindow, Volume4D
from hotline.service import Actor, HotlineService, PutResult, View

router = APIRouter(prefix="/v1")


async def service(request: Request) -> HotlineService:
    svc: HotlineService = request.app.state.service
    return svc


def view_json(view: View) -> dict[str, Any]:
    d = view.declaration
    if not view.full:
        return {
            "id": d.id,
            "kind": d.kind.value,
            "owner": d.owner,
            "version": d.version,
            "volumes": [volume_to_json(v) for v in d.volumes],
            "details": "withheld: this declaration does not conflict with your party's",
        }
    return {**declaration_to_json(d), "conflicts": [conflict_to_json(c) for c in view.conflicts]}


class _FastJSON(JSONResponse):
    """A JSON answer encoded by orjson (the write path's answer: every notice write)."""

    def render(self, content: Any) -> bytes:
        return dumps_bytes(content)


def put_json(result: PutResult) -> JSONResponse:
    body = {
        **declaration_to_json(result.declaration),
        "conflicts": [conflict_to_json(c) for c in result.conflicts],
    }
    return _FastJSON(body, status_code=201 if result.created else 200,
                     headers={"ETag": f'"{result.declaration.version}"'})


def expected_version(body_version: int | None, if_match: str | None) -> int | None:
    if if_match is None:
        return body_version
    try:
        header = int(if_match.strip().strip('W/').strip('"'))
    except ValueError:
        raise InvalidInput(f"If-Match {if_match!r} is not a version",
                           hint='send If-Match: "<version>" as returned in ETag') from None
    if body_version is not None and body_version != header:
        raise InvalidInput("If-Match and body version disagree", hint="send only one of them")
    return header


def window_filter(start: str | None, end: str | None) -> TimeWindow | None:
    if start is None and end is None:
        return None
    return TimeWindow(
        parse_rfc3339(start, "start") if start else parse_rfc3339("1970-01-01T00:00:00Z"),
        parse_rfc3339(end, "end") if end else parse_rfc3339("9999-01-01T00:00:00Z"),
    )


def area_filter(bbox: str | None, start: str | None, end: str | None) -> Volume4D | None:
    if bbox is None:
        return None
    try:
        lat0, lng0, lat1, lng1 = (float(x) for x in bbox.split(","))
    except ValueError:
        raise InvalidInput(f"bbox {bbox!r} is not four numbers",
                           hint="use bbox=min_lat,min_lng,max_lat,max_lng") from None
    if not (lat0 < lat1 and lng0 != lng1):
        raise InvalidInput("bbox is empty", hint="min_lat < max_lat; min_lng != max_lng")
    corners = ((lat0, lng0), (lat0, lng1), (lat1, lng1), (lat1, lng0))
    footprint = Polygon(tuple(LatLng(a, b) for a, b in corners))
    window = window_filter(start, end) or window_filter("1970-01-01T00:00:00Z", None)
    assert window is not None
    return Volume4D(footprint, AltitudeBand(-1000.0, 100_000.0), window)


def _routes(kind: Kind, path: str, body_model: Any) -> None:
    @router.put(f"/{path}/{{id}}", name=f"put_{kind.value}", status_code=200)
    def put(
        id: str,
        body: body_model,
        actor: Actor = Depends(requires(DECLARE)),
        svc: HotlineService = Depends(service),
        if_match: str | None = Header(None),
    ) -> JSONResponse:
        version = expected_version(body.version, if_match)
        if kind is Kind.NOTICE:
            result = svc.put_notice(actor, id, body.to_draft(), version)
        else:
            result = svc.put_zone(actor, id, body.to_draft(), version)
        return put_json(result)

    @router.get(f"/{path}/{{id}}", name=f"get_{kind.value}")
    def get(
        id: str,
        actor: Actor = Depends(requires(READ)),
        svc: HotlineService = Depends(service),
    ) -> JSONResponse:
        view = svc.get(actor, kind, id)
        return JSONResponse(view_json(view),
                            headers={"ETag": f'"{view.declaration.version}"'})

    @router.delete(f"/{path}/{{id}}", name=f"delete_{kind.value}")
    def delete(
        id: str,
        actor: Actor = Depends(requires(DECLARE)),
        svc: HotlineService = Depends(service),
        if_match: str | None = Header(None),
    ) -> dict[str, Any]:
        gone = svc.delete(actor, kind, id, expected_version(None, if_match))
        return {"id": gone.id, "kind": gone.kind.value, "deleted": True, "version": gone.version}

    @router.get(f"/{path}", name=f"list_{kind.value}")
    def list_(
        actor: Actor = Depends(requires(READ)),
        svc: HotlineService = Depends(service),
        bbox: str | None = Query(None, description="min_lat,min_lng,max_lat,max_lng"),
        start: str | None = Query(None, description="RFC 3339"),
        end: str | None = Query(None, description="RFC 3339"),
        mine: bool = False,
        limit: int = Query(100, ge=1, le=1000),
        after: str | None = None,
    ) -> JSONResponse:
        views = svc.list(actor, kind, mine_only=mine, area=area_filter(bbox, start, end),
                         window=window_filter(start, end), limit=limit, after=after)
        items = [view_json(v) for v in views]
        return JSONResponse(
            {"items": items, "next": items[-1]["id"] if len(items) == limit else None}
        )


_routes(Kind.NOTICE, "notices", NoticeIn)
_routes(Kind.ZONE, "zones", ZoneIn)
