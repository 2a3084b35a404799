"""Request shapes (pydantic) and the converters from them to domain drafts.

Contract: every model forbids unknown fields. Shapes follow ASTM F3548-21 (``Volume4D``,
``Altitude``, ``Time``, ``Radius``) with Hotline's documented extensions: altitude
``reference`` W84 | AMSL | PRESSURE with ``units`` M | FT | FL, and radius ``units``
M | FT | NM | KM. Semantic checks (geometry, windows, limits) happen in the domain, so the
same rules hold for every edge.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from hotline.adapters.codec import volumes_from_json
from hotline.domain.notice import NoticeState, ZoneRole
from hotline.relay.messages import MessageDraft
from hotline.service import NoticeDraft, ZoneDraft


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LatLngIn(Strict):
    lat: float = Field(ge=-90, le=90, description="degrees, WGS84")
    lng: float = Field(ge=-180, le=180, description="degrees, WGS84")


class PolygonIn(Strict):
    vertices: list[LatLngIn] = Field(
        description="3..10,000 vertices; edges are shortest paths (geodesics); "
        "a repeated closing vertex is tolerated"
    )


class RadiusIn(Strict):
    value: float = Field(gt=0)
    units: Literal["M", "FT", "NM", "KM"] = "M"


class CircleIn(Strict):
    center: LatLngIn
    radius: RadiusIn


class AltitudeIn(Strict):
    value: float
    reference: Literal["W84", "AMSL", "PRESSURE"] = Field(
        description="W84: above the WGS84 ellipsoid (F3548); AMSL; PRESSURE: flight levels"
    )
    units: Literal["M", "FT", "FL"] = Field(description="FL only with reference PRESSURE")


class VolumeIn(Strict):
    outline_polygon: PolygonIn | None = None
    outline_circle: CircleIn | None = None
    altitude_lower: AltitudeIn
    altitude_upper: AltitudeIn


class TimeIn(Strict):
    value: str = Field(description="RFC 3339 with an offset, e.g. 2026-11-24T20:00:00Z")
    format: Literal["RFC3339"] = "RFC3339"


class Volume4DIn(Strict):
    volume: VolumeIn
    time_start: TimeIn
    time_end: TimeIn


class NoticeIn(Strict):
    volumes: list[Volume4DIn] = Field(min_length=1)
    state: NoticeState = NoticeState.ACCEPTED
    priority: int = Field(0, ge=0, le=100)
    purpose: str = Field("", max_length=2000)
    version: int | None = Field(None, description="the version you update; omit to create")

    def to_draft(self) -> NoticeDraft:
        volumes = volumes_from_json([v.model_dump(exclude_none=True) for v in self.volumes])
        return NoticeDraft(volumes, self.state, self.priority, self.purpose)


class ZoneIn(Strict):
    volumes: list[Volume4DIn] = Field(min_length=1)
    role: ZoneRole
    name: str = Field("", max_length=200)
    version: int | None = Field(None, description="the version you update; omit to create")

    def to_draft(self) -> ZoneDraft:
        volumes = volumes_from_json([v.model_dump(exclude_none=True) for v in self.volumes])
        return ZoneDraft(volumes, self.role, self.name)


class MessageIn(Strict):
    to: str = Field(description="the recipient party's name")
    text: str | None = Field(None, description="free text, at most 4,000 characters")
    template: str | None = Field(None, description="a template from GET /v1/templates")
    fields: dict[str, Any] | None = Field(None, description="the template's fields")
    in_reply_to: str | None = Field(None, description="the id of the message answered")

    def to_draft(self) -> MessageDraft:
        return MessageDraft(self.to, self.text, self.template, self.fields, self.in_reply_to)


class AckIn(Strict):
    """An acknowledgment that takes no options: the body, if any, must be ``{}``."""


class AlertAckIn(Strict):
    coordinated: StrictBool = Field(False, description="record the conflict as coordinated: it is "
                              "closed once both parties have")
    messages: list[str] = Field(default_factory=list, max_length=20,
                                description="ids of the messages that agreed the coordination")
