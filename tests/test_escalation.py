"""The pure escalation rule (``hotline.relay.escalation``): exact boundaries of both
deadlines (at the deadline exactly, one microsecond before and after), one step at a time,
nothing once acknowledged or recorded unacknowledged, or without a deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.relay.escalation import MESSAGE, AckPolicy, Step, decide, raised

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
POLICY = AckPolicy(urgent_s=120, warning_s=900, message_s=600)


def _decide(now: datetime, *, level: int = 0, acked: bool = False, unacked: bool = False,
            deadline: datetime | None = T0 + timedelta(seconds=120),
            policy: AckPolicy = POLICY) -> Step:
    return decide(policy, created_at=T0, deadline_at=deadline, acked=acked,
                  escalation_level=level, unacked=unacked, now=now)


def test_first_deadlines_by_severity() -> None:
    assert POLICY.first_deadline("urgent", T0) == T0 + timedelta(seconds=120)
    assert POLICY.first_deadline("warning", T0) == T0 + timedelta(seconds=900)
    assert POLICY.first_deadline(MESSAGE, T0) == T0 + timedelta(seconds=600)
    deadline = T0 + timedelta(seconds=120)
    assert POLICY.second_deadline(T0, deadline) == T0 + timedelta(seconds=240)  # 2x
    fixed = AckPolicy(unacked_after_s=30)
    assert fixed.second_deadline(T0, deadline) == deadline + timedelta(seconds=30)
    assert raised("warning") == "urgent" and raised("urgent") == "urgent"
    assert raised(MESSAGE) == MESSAGE
    with pytest.raises(ValueError):
        AckPolicy(urgent_s=0)
    with pytest.raises(ValueError):
        AckPolicy(unacked_after_s=-1)


def test_first_deadline_boundary() -> None:
    deadline = T0 + timedelta(seconds=120)
    assert _decide(deadline - US) is Step.NONE
    assert _decide(deadline) is Step.ESCALATE  # at the deadline exactly: overdue
    assert _decide(deadline + US) is Step.ESCALATE


def test_second_deadline_boundary() -> None:
    second = T0 + timedelta(seconds=240)
    assert _decide(second - US, level=1) is Step.NONE
    assert _decide(second, level=1) is Step.UNACKNOWLEDGED
    assert _decide(second + US, level=1) is Step.UNACKNOWLEDGED
    # never escalated: escalate first, even past the second deadline
    assert _decide(second + US, level=0) is Step.ESCALATE


def test_nothing_when_acked_unacked_or_no_deadline() -> None:
    late = T0 + timedelta(days=1)
    assert _decide(late, acked=True) is Step.NONE
    assert _decide(late, level=1, acked=True) is Step.NONE
    assert _decide(late, level=1, unacked=True) is Step.NONE
    assert _decide(late, deadline=None) is Step.NONE
