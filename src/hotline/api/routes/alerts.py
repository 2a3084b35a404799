"""``/v1/alerts``: the caller's party's alerts, and acknowledgment with a signed receipt.

Contract: ``GET /v1/alerts?after=ID&limit=N&unacked=true`` (duty or admin) lists only the
caller's party's alerts, oldest first (``next``: the id to pass as ``after``, or null).
``POST /v1/alerts/{id}/ack`` (duty) acknowledges one addressed to the caller's party and
answers 200 with the signed ``hotline.receipt.v1`` receipt — the same one on every retry.
Another party's alert is 404, exactly as one that does not exist. An optional body
``{"coordinated": true, "messages": [ids]}`` records the conflict as coordinated (closed once
both parties have), citing the messages that agreed it (:meth:`AlertDesk.coordinate`).
"""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse

from hotline.api.auth import DECLARE, READ, requires
from hotline.api.schemas import AlertAckIn
from hotline.relay.alerts import alert_json
from hotline.relaying import AlertDesk
from hotline.service import Actor

router = APIRouter(prefix="/v1/alerts")


async def desk(request: Request) -> AlertDesk:
    found: AlertDesk = request.app.state.alerts
    return found


@router.get("", name="list_alerts")
def list_alerts(
    actor: Actor = Depends(requires(READ)),
    alerts: AlertDesk = Depends(desk),
    after: str | None = Query(None, description="the id of the last alert already seen"),
    limit: int = Query(100, ge=1, le=1000),
    unacked: bool = Query(False, description="only alerts not yet acknowledged"),
) -> JSONResponse:
    items = [alert_json(a) for a in alerts.list(actor, after=after, limit=limit,
                                                unacked=unacked)]
    return JSONResponse(
        {"items": items, "next": items[-1]["id"] if len(items) == limit else None}
    )


@router.post("/{id}/ack", name="ack_alert")
def ack_alert(
    id: str, actor: Actor = Depends(requires(DECLARE)), alerts: AlertDesk = Depends(desk),
    body: AlertAckIn | None = Body(None),
) -> JSONResponse:
    if body is None:
        return JSONResponse(alerts.ack(actor, id))
    return JSONResponse(alerts.ack(actor, id, coordinated=body.coordinated,
                                   messages=body.messages))
