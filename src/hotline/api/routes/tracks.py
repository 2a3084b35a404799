"""``/v1/tracks``: live track reports in (feeds), visible tracks out (need to know).

Contract: ``POST /v1/tracks`` (track-feed scope ``hotline:feed``) takes a batch for the token's
party in one of four bodies, chosen by ``Content-Type``: ``application/json`` with
``{"reports": [{...}, ...]}`` (see :mod:`hotline.tactical.jsonreports`) or an OpenSky
``{"time": ..., "states": [...]}`` answer; ``text/csv`` (the columns of ``hotline probe``);
``text/plain`` SBS-1 port-30003 lines (merged within the batch). It answers 200 with
``accepted``, ``out_of_order`` and ``rejected`` counts, the stored ``batch`` seq, and one
``results`` entry (``where``, ``id``, ``status``, ``reason``) per report not accepted. A body
that is not a batch at all is 400; a report of another party is 403 and nothing is stored.
``GET /v1/tracks?trail=N&party=P`` (duty or admin) lists the tracks the caller's party may see
now (:meth:`hotline.tracking.TrackDesk.visible`), each with ``why`` and its last ``N`` trail
points (0: none).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from hotline.api.auth import FEED, READ, requires
from hotline.domain.errors import Forbidden, InvalidInput
from hotline.domain.time import format_rfc3339
from hotline.domain.tracks import ParseResult, report_json
from hotline.service import Actor
from hotline.tactical.csvtracks import parse_csv
from hotline.tactical.jsonreports import foreign_parties, parse_items
from hotline.tactical.opensky import parse_opensky
from hotline.tactical.sbs import parse_sbs
from hotline.tracking import TrackDesk, TrackView

router = APIRouter(prefix="/v1/tracks")


async def desk(request: Request) -> TrackDesk:
    found: TrackDesk = request.app.state.tracks
    return found


def _parse(body: bytes, content_type: str, party: str, now: datetime) -> ParseResult:
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        parsed = parse_csv(_text(body), party)
        foreign = sorted({r.party for r in parsed.reports if r.party != party})
        if foreign:
            raise Forbidden(f"this feed reports for party {party!r}, not {', '.join(foreign)}",
                            hint="a feed may report only its own party's aircraft")
        return parsed
    if kind == "text/plain":
        return parse_sbs(_text(body).splitlines(), party, now)
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise InvalidInput(f"body is not JSON: {exc}",
                           hint='send {"reports": [...]} as application/json') from None
    if isinstance(doc, dict) and "states" in doc:
        return parse_opensky(doc, party)
    if not isinstance(doc, dict) or not isinstance(doc.get("reports"), list):
        raise InvalidInput("body has no 'reports' list",
                           hint='send {"reports": [{"id": ..., "time": ..., ...}]}')
    items: list[Any] = doc["reports"]
    foreign = foreign_parties(items, party)
    if foreign:
        raise Forbidden(f"this feed reports for party {party!r}, not {', '.join(foreign)}",
                        hint="a feed may report only its own party's aircraft; use that "
                        "party's token")
    return parse_items(items, party)


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("body is not UTF-8 text", hint="send UTF-8 (or ASCII) text") \
            from None


@router.post("", name="post_tracks")
async def post_tracks(
    request: Request,
    actor: Actor = Depends(requires(frozenset({FEED}))),
    tracks: TrackDesk = Depends(desk),
) -> JSONResponse:
    body = await request.body()
    content_type = request.headers.get("content-type", "application/json")

    def work() -> dict[str, Any]:
        parsed = _parse(body, content_type, actor.party, tracks.clock.now())
        return tracks.ingest(actor.party, actor.officer, parsed).json()

    return JSONResponse(await run_in_threadpool(work))


def view_json(v: TrackView, now: datetime, trail: int) -> dict[str, Any]:
    r = v.track.latest
    out = report_json(r)
    out["age_s"] = round((now - r.time).total_seconds(), 3)
    out["why"] = v.why
    if trail:
        out["trail"] = [{"time": format_rfc3339(p.time), "lat": p.lat_deg, "lon": p.lon_deg,
                         "alt_m": p.alt_m} for p in v.track.trail[-trail:]]
    return out


@router.get("", name="list_tracks")
def list_tracks(
    actor: Actor = Depends(requires(READ)),
    tracks: TrackDesk = Depends(desk),
    trail: int = Query(0, ge=0, le=1000, description="trail points per track (0: none)"),
    party: str | None = Query(None, description="only this party's tracks"),
) -> JSONResponse:
    now, views = tracks.visible(actor.party, trail=trail > 0, only=party)
    return JSONResponse({
        "at": format_rfc3339(now),
        "stale_after_s": tracks.config.stale_after_s,
        "tracks": [view_json(v, now, trail) for v in views],
    })
