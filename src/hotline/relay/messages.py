"""Duty-officer messages over the hotline: their shape, validation and content hash.

Contract: pure code, no I/O and no clock. A message goes from one party (``sender``, sent by
``officer``) to another (``recipient``); its ``body`` is ``{"text": ...}`` (free text, at most
:data:`MAX_TEXT_CHARS` characters) or ``{"template": name, "fields": {...}}`` with fields
validated and normalised by :mod:`hotline.relay.templates`. ``in_reply_to`` names the message
it answers. Its content hash (the SHA-256 of the canonical JSON of :func:`content`: id, from,
officer, to, body, in_reply_to, created_at) is what receipts and audit records name.
:func:`fingerprint` is the hash of a request as given, for idempotent retries.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hotline.audit.canonical import canonical_json
from hotline.domain.errors import InvalidInput, TooLarge
from hotline.domain.notice import check_party
from hotline.domain.time import format_rfc3339
from hotline.relay.alerts import escalation_json
from hotline.relay.receipts import content_hash
from hotline.relay.templates import get_template, validate_fields

MAX_TEXT_CHARS = 4000
MAX_KEY_CHARS = 128
MESSAGE_ID = re.compile(r"^msg-[0-9a-f]{32}$")
_KEY = re.compile(r"^[\x21-\x7e]+$")


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """A message as requested, before validation."""

    to: str
    text: str | None = None
    template: str | None = None
    fields: Mapping[str, Any] | None = None
    in_reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    sender: str  # party
    officer: str  # the sender's officer (token sub)
    recipient: str  # party
    body: Mapping[str, Any]
    created_at: datetime
    template: str | None = None
    in_reply_to: str | None = None
    ack_at: datetime | None = None
    ack_by: str | None = None
    receipt: Mapping[str, Any] | None = None
    deadline_at: datetime | None = None  # the ack deadline (None: none)
    escalated_at: datetime | None = None
    escalation_level: int = 0
    unacked_at: datetime | None = None  # recorded unacknowledged after the second deadline


def check_body(sender: str, draft: MessageDraft) -> dict[str, Any]:
    """The validated body of ``draft`` sent by party ``sender`` (recipient name checked too)."""
    try:
        check_party(draft.to)
    except InvalidInput as exc:
        raise exc.at("to") from None
    if draft.to == sender:
        raise InvalidInput("you cannot send a message to your own party",
                           hint="address another party in 'to'", where="to")
    if draft.in_reply_to is not None and not MESSAGE_ID.match(draft.in_reply_to):
        raise InvalidInput(f"{draft.in_reply_to!r} is not a message id",
                           hint="give the id of a message you sent or received (msg-...)",
                           where="in_reply_to")
    if draft.text is not None:
        if draft.template is not None or draft.fields is not None:
            raise InvalidInput("give either text or template and fields, not both",
                               hint="send free text in 'text', or a structured message in "
                               "'template' + 'fields'", where="text")
        if not draft.text.strip():
            raise InvalidInput("text is blank", hint="write the message", where="text")
        if len(draft.text) > MAX_TEXT_CHARS:
            raise TooLarge(f"text has {len(draft.text)} characters",
                           hint=f"keep it to at most {MAX_TEXT_CHARS}; split a longer message",
                           where="text")
        return {"text": draft.text}
    if draft.template is None:
        raise InvalidInput("no text and no template given",
                           hint="send 'text', or 'template' + 'fields' (see GET /v1/templates)",
                           where="text")
    template = get_template(draft.template)
    return {"template": template.name,
            "fields": validate_fields(template, draft.fields or {})}


def check_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_CHARS or not _KEY.match(key):
        raise InvalidInput("Idempotency-Key is not 1-128 printable ASCII characters",
                           hint="use a fresh UUID per logical request, and the same one "
                           "on every retry of it", where="header.Idempotency-Key")
    return key


def fingerprint(draft: MessageDraft, body: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the request: recipient, validated body and in_reply_to."""
    request = {"to": draft.to, "body": dict(body), "in_reply_to": draft.in_reply_to}
    return hashlib.sha256(canonical_json(request)).hexdigest()


def content(m: Message) -> dict[str, Any]:
    """What a message says, and who said it to whom when (what its content hash covers)."""
    return {"id": m.id, "from": m.sender, "officer": m.officer, "to": m.recipient,
            "body": dict(m.body), "in_reply_to": m.in_reply_to,
            "created_at": format_rfc3339(m.created_at)}


def message_hash(m: Message) -> str:
    return content_hash(content(m))


def message_json(m: Message) -> dict[str, Any]:
    """The message as either party sees it (plain JSON)."""
    return {**content(m), "template": m.template, "content_hash": message_hash(m),
            "ack": None if m.ack_at is None else {
                "at": format_rfc3339(m.ack_at), "by": m.ack_by, "receipt": m.receipt},
            **escalation_json(m.deadline_at, m.escalated_at, m.escalation_level,
                              m.unacked_at)}
