"""Outbound webhooks of a party's event stream: registration rules, signing, retry timing.

Contract: pure code, no I/O and no clock. A :class:`Webhook` belongs to one party and is keyed
by (party, id). Its ``url`` is absolute ``http``/``https`` with a host, no user or password,
at most :data:`MAX_URL` characters and no whitespace or control characters; its ``secret`` is
:data:`MIN_SECRET`..:data:`MAX_SECRET` printable characters and is never shown back.
``cursor`` is the seq of the party's last event the webhook answered 2xx for: events go out
one at a time, in seq order, and the cursor moves only on a 2xx, so none is skipped.
The signature is ``sha256=`` + hex HMAC-SHA256 of the exact body bytes with the secret.
:func:`backoff` is the retry delay in seconds after ``attempts`` consecutive failures:
``base * 2**(attempts-1)`` capped at ``cap``, times a jitter factor in [0.5, 1].
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from hotline.domain.errors import InvalidInput
from hotline.domain.time import format_rfc3339

MAX_URL = 2000
MIN_SECRET = 16
MAX_SECRET = 256
#: How much of a failure's description is kept (``last_error``).
MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class Webhook:
    party: str
    id: str
    url: str
    secret: str
    created_at: datetime
    cursor: int = 0  # seq of the last event answered 2xx
    attempts: int = 0  # consecutive failed attempts at event cursor + 1
    next_attempt_at: datetime | None = None
    last_error: str | None = None


def check_url(url: str) -> str:
    """``url`` if it is an acceptable webhook target, else :class:`InvalidInput` at ``url``."""
    hint = "give an absolute http:// or https:// URL with a host and no credentials"
    if len(url) > MAX_URL:
        raise InvalidInput(f"the URL is {len(url)} characters long, over {MAX_URL}",
                           hint="use a shorter URL", where="url")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise InvalidInput("the URL contains whitespace or control characters", hint=hint,
                           where="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidInput(f"the URL is malformed: {exc}", hint=hint, where="url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInput(f"scheme {parts.scheme or '(none)'!r} is not http or https",
                           hint=hint, where="url")
    if "@" in parts.netloc:
        raise InvalidInput("the URL carries credentials (user:password@)",
                           hint="authenticate deliveries by their Hotline-Signature instead",
                           where="url")
    if not parts.hostname:
        raise InvalidInput("the URL has no host", hint=hint, where="url")
    return url


def check_secret(secret: str) -> str:
    if not MIN_SECRET <= len(secret) <= MAX_SECRET:
        raise InvalidInput(
            f"the secret is {len(secret)} characters long",
            hint=f"use {MIN_SECRET} to {MAX_SECRET} random characters", where="secret")
    if not secret.isprintable():
        raise InvalidInput("the secret contains non-printable characters",
                           hint="use printable characters (e.g. hex or base64)", where="secret")
    return secret


def signature(secret: str, body: bytes) -> str:
    """The ``Hotline-Signature`` header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int, base: float, cap: float, jitter: float) -> float:
    """Seconds to wait after ``attempts`` (>= 1) failures; ``jitter`` in [0, 1)."""
    delay = min(cap, base * 2.0 ** min(attempts - 1, 60))
    return delay * (0.5 + 0.5 * jitter)


def webhook_json(w: Webhook) -> dict[str, Any]:
    """The webhook as its party sees it (without the secret)."""
    return {
        "id": w.id,
        "url": w.url,
        "created_at": format_rfc3339(w.created_at),
        "delivery": {
            "cursor": w.cursor,
            "attempts": w.attempts,
            "next_attempt_at": None if w.next_attempt_at is None
            else format_rfc3339(w.next_attempt_at),
            "last_error": w.last_error,
        },
    }
