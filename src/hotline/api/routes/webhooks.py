"""``/v1/webhooks``: a party's outbound webhooks for its event stream.

Contract (duty or admin, always the caller's own party; another party's webhook is 404):

- ``PUT /v1/webhooks/{id}`` ``{"url": "https://...", "secret": "<16-256 chars>"}``: creates
  (201) or replaces (200; the delivery cursor is kept) the webhook. A URL that is not
  http/https, has no host, carries credentials or is over 2,000 characters, or a bad secret,
  is 400 problem+json naming the field, and nothing is stored.
- ``GET /v1/webhooks/{id}``, ``GET /v1/webhooks``: the webhook(s) with their delivery state
  (``cursor``, ``attempts``, ``next_attempt_at``, ``last_error``), never the secret.
- ``DELETE /v1/webhooks/{id}``: 204.

Deliveries (see ``adapters.webhooks``): each event in seq order, as ``GET /v1/events`` shows
it, with ``Hotline-Event-Id``, ``Hotline-Timestamp`` and ``Hotline-Signature`` (``sha256=`` +
hex HMAC-SHA256 of the raw body with the secret); a 2xx answer counts as delivery (signed
receipt, audit record, officer ``webhook:<id>``), anything else is retried with backoff.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field, StrictStr

from hotline.api.auth import READ, requires
from hotline.api.schemas import Strict
from hotline.relay.webhooks import webhook_json
from hotline.relaying import WebhookDesk
from hotline.service import Actor

router = APIRouter(prefix="/v1/webhooks")


class WebhookIn(Strict):
    url: StrictStr = Field(description="http:// or https:// URL the events are POSTed to")
    secret: StrictStr = Field(description="16-256 characters; keys the HMAC signature")


async def desk(request: Request) -> WebhookDesk:
    found: WebhookDesk = request.app.state.webhooks
    return found


@router.put("/{id}", name="put_webhook", status_code=200)
def put_webhook(
    id: str, body: WebhookIn, actor: Actor = Depends(requires(READ)),
    webhooks: WebhookDesk = Depends(desk),
) -> JSONResponse:
    hook, created = webhooks.put(actor, id, body.url, body.secret)
    return JSONResponse(webhook_json(hook), status_code=201 if created else 200,
                        headers={"Location": f"/v1/webhooks/{id}"})


@router.get("", name="list_webhooks")
def list_webhooks(
    actor: Actor = Depends(requires(READ)), webhooks: WebhookDesk = Depends(desk)
) -> dict[str, Any]:
    return {"items": [webhook_json(w) for w in webhooks.list(actor)]}


@router.get("/{id}", name="get_webhook")
def get_webhook(
    id: str, actor: Actor = Depends(requires(READ)), webhooks: WebhookDesk = Depends(desk)
) -> dict[str, Any]:
    return webhook_json(webhooks.get(actor, id))


@router.delete("/{id}", name="delete_webhook", status_code=204)
def delete_webhook(
    id: str, actor: Actor = Depends(requires(READ)), webhooks: WebhookDesk = Depends(desk)
) -> Response:
    webhooks.delete(actor, id)
    return Response(status_code=204)
