"""Ack deadlines and escalation of alerts and messages: when, and what happens.

Contract: pure code, no I/O and no clock (``now`` comes in). An item (alert or message) gets
an ack deadline when created: ``created_at`` + the policy's deadline for its severity
(``urgent``/``warning`` alerts; messages have their own). Left unacknowledged *at or after*
that deadline it is escalated once (:attr:`Step.ESCALATE`: an alert's severity is raised
to ``urgent``, an urgent one stays urgent; the escalation level goes 0 -> 1). Still
unacknowledged at or after the second deadline (the first one + ``unacked_after_s``, by default
the first deadline's own length again, so twice as long from creation) it is recorded as
unacknowledged (:attr:`Step.UNACKNOWLEDGED`), once. An acknowledged item, an item with no
deadline (created before deadlines existed) or one already recorded unacknowledged: nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

#: The severity the policy uses for messages (which have no severity of their own).
MESSAGE = "message"
URGENT = "urgent"


class Step(StrEnum):
    NONE = "none"
    ESCALATE = "escalate"
    UNACKNOWLEDGED = "unacknowledged"


@dataclass(frozen=True, slots=True)
class AckPolicy:
    urgent_s: float = 120.0
    warning_s: float = 900.0
    message_s: float = 600.0
    #: from the first deadline to the second; None: the first deadline's length again
    unacked_after_s: float | None = None

    def __post_init__(self) -> None:
        for name in ("urgent_s", "warning_s", "message_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.unacked_after_s is not None and not self.unacked_after_s > 0:
            raise ValueError("unacked_after_s must be positive")

    def first_deadline(self, severity: str, created_at: datetime) -> datetime:
        """The ack deadline of an item of ``severity`` (``urgent``, ``warning`` or
        :data:`MESSAGE`) created at ``created_at``."""
        seconds = {"urgent": self.urgent_s, "warning": self.warning_s,
                   MESSAGE: self.message_s}[severity]
        return created_at + timedelta(seconds=seconds)

    def second_deadline(self, created_at: datetime, deadline_at: datetime) -> datetime:
        """When an item with ack deadline ``deadline_at`` is recorded unacknowledged."""
        after = (deadline_at - created_at if self.unacked_after_s is None
                 else timedelta(seconds=self.unacked_after_s))
        return deadline_at + after


def raised(severity: str) -> str:
    """The severity an escalation raises ``severity`` to (messages keep theirs)."""
    return severity if severity == MESSAGE else URGENT


def decide(policy: AckPolicy, *, created_at: datetime, deadline_at: datetime | None,
           acked: bool, escalation_level: int, unacked: bool, now: datetime) -> Step:
    """What should happen now to an item in this state (one step at a time: an item past
    both deadlines and never escalated is escalated first)."""
    if acked or unacked or deadline_at is None or now < deadline_at:
        return Step.NONE
    if escalation_level == 0:
        return Step.ESCALATE
    if now >= policy.second_deadline(created_at, deadline_at):
        return Step.UNACKNOWLEDGED
    return Step.NONE
