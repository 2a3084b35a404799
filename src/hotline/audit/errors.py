"""Errors raised when audit evidence does not verify.

Contract: every failure to verify a signature, a proof or a tree head raises
:class:`VerificationFailed` (or a subclass). It derives from
:class:`hotline.domain.errors.InvalidInput` — the evidence handed in (a receipt, a tree head, a
proof) is what is wrong, nothing was changed, and the API's one table maps it to a 4xx without a
new entry; like all bad input it is also a ``ValueError``. The subclasses say *which* check
failed, so a caller can tell a forged signature from a rewritten log.
"""

from __future__ import annotations

from hotline.domain.errors import InvalidInput


class VerificationFailed(InvalidInput):
    """A signature, Merkle proof or tree head does not verify."""


class UnknownKey(VerificationFailed):
    """A signature names a key id that is not among the trusted public keys."""


class BadSignature(VerificationFailed):
    """A signature is malformed or does not match the signed statement."""


class HistoryRewritten(VerificationFailed):
    """Two signed tree heads cannot both describe one append-only log (or a record is not in
    the tree a signed head vouches for): whoever runs the log changed its history."""
