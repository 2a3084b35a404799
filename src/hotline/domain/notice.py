"""Notices, zones and the conflicts between them.

Contract: a *notice* is one party's declared planned activity (ASTM F3548-21 operational
intent: volumes, state, priority) plus a free-text purpose. A *zone* is a party's volume with a
role: its ``airspace``, a ``protected`` zone around an asset, or an ``engagement`` zone (air
defence active). Both are *declarations*: owned by exactly one party, versioned (the version
increases by one on each accepted change), and measured for lead time when filed.
All datetimes are timezone-aware UTC; all lengths metres.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hotline.domain.altitude import VerticalOverlap
from hotline.domain.errors import InvalidInput
from hotline.domain.volume import TimeWindow, Volume4D

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$")
PARTY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_PURPOSE_CHARS = 2000


class Kind(StrEnum):
    NOTICE = "notice"
    ZONE = "zone"
    TRACK = "track"  # a live track (party, aircraft id): a side of encounter alerts only


class NoticeState(StrEnum):
    """ASTM F3548-21 operational intent states a notice may be in."""

    ACCEPTED = "Accepted"
    ACTIVATED = "Activated"
    NONCONFORMING = "Nonconforming"
    CONTINGENT = "Contingent"


class ZoneRole(StrEnum):
    AIRSPACE = "airspace"
    PROTECTED = "protected"
    ENGAGEMENT = "engagement"


def check_id(value: str, what: str = "id") -> str:
    if not ID_PATTERN.match(value):
        raise InvalidInput(
            f"{what} {value!r} is not a valid identifier",
            hint="use 1-64 characters: letters, digits, '.', '_', '~', '-' (a UUID works)",
        )
    return value


def check_party(value: str) -> str:
    if not PARTY_PATTERN.match(value):
        raise InvalidInput(
            f"party {value!r} is not a valid party name",
            hint="use 1-32 lowercase letters, digits, '_' or '-', starting with a letter or digit",
        )
    return value


@dataclass(frozen=True, slots=True)
class LeadTime:
    """How long before the activity it was announced, against what was agreed."""

    measured_s: float
    required_s: float

    @property
    def late(self) -> bool:
        return self.measured_s < self.required_s


@dataclass(frozen=True, slots=True)
class Declaration:
    """What notices and zones share: identity, ownership, version, volumes, filing."""

    id: str
    owner: str
    officer: str
    version: int
    volumes: tuple[Volume4D, ...]
    created_at: datetime
    updated_at: datetime
    filed_at: datetime
    lead_time: LeadTime

    @property
    def kind(self) -> Kind:
        raise NotImplementedError

    @property
    def window(self) -> TimeWindow:
        """The smallest window containing every volume's window."""
        return TimeWindow(
            min(v.window.start for v in self.volumes), max(v.window.end for v in self.volumes)
        )


@dataclass(frozen=True, slots=True)
class Notice(Declaration):
    state: NoticeState = NoticeState.ACCEPTED
    priority: int = 0
    purpose: str = ""

    @property
    def kind(self) -> Kind:
        return Kind.NOTICE


@dataclass(frozen=True, slots=True)
class Zone(Declaration):
    role: ZoneRole = ZoneRole.AIRSPACE
    name: str = ""

    @property
    def kind(self) -> Kind:
        return Kind.ZONE


@dataclass(frozen=True, slots=True)
class VolumeOverlap:
    """Volume ``volume`` of one declaration meets volume ``other_volume`` of another."""

    volume: int
    other_volume: int
    window: TimeWindow
    vertical: VerticalOverlap
    distance_m: float  # horizontal distance between the footprints; 0 when they overlap


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a declaration."""

    kind: Kind
    id: str
    owner: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """``subject`` conflicts with ``other``; ``overlaps`` are indexed from the subject's side."""

    subject: Ref
    other: Ref
    overlaps: tuple[VolumeOverlap, ...]
    detected_at: datetime
    lead_time: LeadTime  # of the later filing, against the pair's agreed minimum

    def mirrored(self) -> Conflict:
        """The same conflict seen from the other declaration."""
        return Conflict(
            subject=self.other,
            other=self.subject,
            overlaps=tuple(
                VolumeOverlap(o.other_volume, o.volume, o.window, o.vertical, o.distance_m)
                for o in self.overlaps
            ),
            detected_at=self.detected_at,
            lead_time=self.lead_time,
        )
