"""Time helpers. Every datetime is timezone-aware UTC; naive datetimes are rejected.

On the wire times are RFC 3339 with ``Z``. Inside vectorised kernels and index columns time is
an integer count of microseconds since the Unix epoch (exact, orderable, portable SQL).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from hotline.domain.errors import InvalidInput

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def require_utc(value: datetime, what: str = "time") -> datetime:
    """Return ``value`` converted to UTC; raise if it is naive."""
    if value.tzinfo is UTC:  # the common case, and much cheaper than utcoffset + astimezone
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} has no timezone", hint="give times in RFC 3339 with 'Z'")
    return value.astimezone(UTC)


def parse_rfc3339(text: str, what: str = "time") -> datetime:
    """Parse an RFC 3339 timestamp that carries an offset (``Z`` or ``+hh:mm``).

    >>> parse_rfc3339("2026-11-24T20:00:00Z").isoformat()
    '2026-11-24T20:00:00+00:00'
    """
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{what} {text!r} is not an RFC 3339 timestamp",
            hint="write it like 2026-11-24T20:00:00Z",
        ) from None
    return require_utc(value, what)


@lru_cache(maxsize=65_536)
def format_rfc3339(value: datetime) -> str:
    """Format a UTC datetime as RFC 3339 with ``Z`` and millisecond precision or better.
    (Cached: a write formats the same few instants hundreds of times.)

    >>> format_rfc3339(datetime(2026, 11, 24, 20, 0, tzinfo=UTC))
    '2026-11-24T20:00:00Z'
    """
    value = require_utc(value)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch (exact integer arithmetic)."""
    delta = require_utc(value) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """Inverse of :func:`to_micros`."""
    return EPOCH + timedelta(microseconds=micros)
