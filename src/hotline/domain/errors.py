"""The error hierarchy. Every error Hotline raises derives from :class:`HotlineError`.

Bad input is also a ``ValueError``. Each error carries a ``detail`` saying what was wrong and a
``hint`` saying how to fix it; the API maps each class to one HTTP status (``api/errors.py``).
"""

from __future__ import annotations


class HotlineError(Exception):
    """Root of Hotline's errors."""

    def __init__(self, detail: str, *, hint: str = "", where: str = "") -> None:
        self.detail = detail
        self.hint = hint
        self.where = where
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.where}: {self.detail}" if self.where else self.detail
        return f"{text} ({self.hint})" if self.hint else text

    def at(self, where: str) -> HotlineError:
        """Return this error located at ``where`` (e.g. ``volumes[2].volume``)."""
        self.where = f"{where}.{self.where}" if self.where else where
        self.args = (self.message,)
        return self


class InvalidInput(HotlineError, ValueError):
    """The request is malformed or violates a rule; nothing was changed."""


class InvalidGeometry(InvalidInput):
    """A footprint is degenerate, self-intersecting, too large or otherwise unusable."""


class TooLarge(InvalidInput):
    """A request exceeds a configured limit (area, vertices, volumes, duration)."""


class NotFound(HotlineError):
    """The addressed item does not exist (or was deleted)."""


class Forbidden(HotlineError):
    """The caller is authenticated but may not do this."""


class Unauthorized(HotlineError):
    """The caller's credentials are missing, invalid, expired or from the wrong issuer."""


class Conflict(HotlineError):
    """The request conflicts with the current state (stale version, already exists)."""


class Unprocessable(HotlineError):
    """The request is well formed but cannot be processed as sent (e.g. an
    ``Idempotency-Key`` reused for a different request)."""
