"""``/v1/messages`` and ``/v1/templates``: duty-officer messages between parties.

Contract: ``POST /v1/messages`` (duty) sends ``to`` another known party either ``text`` or a
``template`` with ``fields`` (validated; ``GET /v1/templates``, duty or admin, lists them),
optionally ``in_reply_to`` a message the caller's party sent or received; 201 with the
message. With ``Idempotency-Key`` (≤ 128 printable ASCII), a retry of the same request gets
the stored answer (same status and message id, header ``Idempotent-Replayed: true``) and
creates nothing; the key reused for a different request is 422. ``GET /v1/messages?box=in|out``
(duty or admin) lists the caller's party's received or sent messages, oldest first.
``POST /v1/messages/{id}/ack`` (duty) acknowledges one addressed to the caller's party and
answers 200 with the signed ``hotline.receipt.v1`` receipt — the same one on every retry;
anyone else's is 404.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from hotline.api.auth import DECLARE, READ, requires
from hotline.api.schemas import AckIn, MessageIn
from hotline.relay.messages import message_json
from hotline.relay.templates import catalogue
from hotline.relaying import MessageDesk
from hotline.service import Actor

router = APIRouter()


async def desk(request: Request) -> MessageDesk:
    found: MessageDesk = request.app.state.messages
    return found


@router.get("/v1/templates", name="list_templates")
def list_templates(_: Actor = Depends(requires(READ))) -> dict[str, Any]:
    return {"items": catalogue()}


@router.post("/v1/messages", name="send_message", status_code=201)
def send_message(
    message: MessageIn,
    actor: Actor = Depends(requires(DECLARE)),
    messages: MessageDesk = Depends(desk),
    idempotency_key: str | None = Header(None, description="the same on every retry"),
) -> JSONResponse:
    sent = messages.send(actor, message.to_draft(), idempotency_key)
    headers = {"Location": f"/v1/messages/{sent.body['id']}"}
    if sent.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(sent.body, status_code=sent.status, headers=headers)


@router.get("/v1/messages", name="list_messages")
def list_messages(
    actor: Actor = Depends(requires(READ)),
    messages: MessageDesk = Depends(desk),
    box: Literal["in", "out"] = Query("in", description="in: received; out: sent"),
    after: str | None = Query(None, description="the id of the last message already seen"),
    limit: int = Query(100, ge=1, le=1000),
) -> JSONResponse:
    items = [message_json(m) for m in messages.list(actor, box, after=after, limit=limit)]
    return JSONResponse(
        {"items": items, "next": items[-1]["id"] if len(items) == limit else None}
    )


@router.post("/v1/messages/{id}/ack", name="ack_message")
def ack_message(
    id: str, actor: Actor = Depends(requires(DECLARE)), messages: MessageDesk = Depends(desk),
    _body: AckIn | None = Body(None, description="none, or {}: a message ack has no options"),
) -> JSONResponse:
    return JSONResponse(messages.ack(actor, id))
