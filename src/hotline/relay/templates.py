"""The catalogue of structured duty-officer message templates, and their validation.

Contract: pure code, no I/O and no clock. A template has typed fields — ``text`` (a string of
at most ``max_length`` characters, no control characters, not blank), ``number`` (finite, in
``[minimum, maximum]``, optionally an integer), ``time`` (RFC 3339 with an offset, normalised
to UTC ``Z``) and ``position`` (``{"lat", "lng"}`` in degrees, WGS84) — and rules across
fields (at least one of several given; one time not before another). :func:`validate_fields`
returns the normalised fields or raises :class:`~hotline.domain.errors.InvalidInput` located
at ``fields.<name>`` (or ``template``) with a hint saying how to fix it. There is no free-text
template: free text is a message's ``text``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hotline.domain.errors import InvalidInput, TooLarge
from hotline.domain.time import format_rfc3339, parse_rfc3339


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    TIME = "time"
    POSITION = "position"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: FieldType
    description: str
    required: bool = True
    max_length: int = 200  # text
    minimum: float = -math.inf  # number
    maximum: float = math.inf  # number
    integer: bool = False  # number

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type.value,
                               "required": self.required, "description": self.description}
        if self.type is FieldType.TEXT:
            out["max_length"] = self.max_length
        elif self.type is FieldType.NUMBER:
            out |= {"minimum": self.minimum, "maximum": self.maximum, "integer": self.integer}
        elif self.type is FieldType.TIME:
            out["format"] = "RFC 3339 with an offset, e.g. 2026-11-24T20:00:00Z"
        else:
            out["format"] = '{"lat": degrees -90..90, "lng": degrees -180..180} (WGS84)'
        return out


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    one_of: tuple[str, ...] = ()  # at least one of these (optional) fields must be given
    not_before: tuple[str, str] | None = None  # (later, earlier): later >= earlier

    def describe(self) -> dict[str, Any]:
        rules = []
        if self.one_of:
            rules.append(f"give at least one of: {', '.join(self.one_of)}")
        if self.not_before:
            rules.append(f"{self.not_before[0]} must not be before {self.not_before[1]}")
        return {"name": self.name, "title": self.title, "description": self.description,
                "fields": [f.describe() for f in self.fields], "rules": rules}


def _text(name: str, description: str, max_length: int = 200,
          required: bool = True) -> Field:
    return Field(name, FieldType.TEXT, description, required, max_length=max_length)


CALLSIGN = _text("callsign", "the aircraft's callsign", max_length=16)
TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("request_hold", "Request hold",
             "Ask the other party to hold an aircraft at a position until a time.",
             (CALLSIGN,
              _text("position", "where to hold: a fix, area or description"),
              Field("until", FieldType.TIME, "hold until this time"),
              _text("reason", "why the hold is needed", max_length=500))),
    Template("confirm_clear", "Confirm clear",
             "Confirm that an aircraft or a notice's activity is clear of the other party.",
             (_text("callsign", "the aircraft's callsign", max_length=16, required=False),
              _text("notice", "the id of the notice that is clear", max_length=64,
                    required=False)),
             one_of=("callsign", "notice")),
    Template("aircraft_in_distress", "Aircraft in distress",
             "Report an aircraft in distress so that the other party does not engage it.",
             (CALLSIGN,
              Field("position", FieldType.POSITION, "last known position"),
              _text("nature", "the nature of the distress", max_length=500),
              Field("souls", FieldType.NUMBER, "persons on board, if known", required=False,
                    minimum=0, maximum=10_000, integer=True))),
    Template("intent_to_enter", "Intent to enter",
             "Announce that aircraft will enter a zone or area during a time window.",
             (_text("zone", "the id of the zone to be entered", max_length=64,
                    required=False),
              _text("area", "the area to be entered, described", required=False),
              Field("time_start", FieldType.TIME, "entry from this time"),
              Field("time_end", FieldType.TIME, "exit by this time")),
             one_of=("zone", "area"), not_before=("time_end", "time_start")),
)}


def catalogue() -> list[dict[str, Any]]:
    """Every template with its fields and rules, as plain JSON, by name."""
    return [TEMPLATES[n].describe() for n in sorted(TEMPLATES)]


def get_template(name: str) -> Template:
    found = TEMPLATES.get(name)
    if found is None:
        raise InvalidInput(f"unknown template {name!r}",
                           hint=f"use one of: {', '.join(sorted(TEMPLATES))} "
                           "(GET /v1/templates lists them)", where="template")
    return found


def _check_text(f: Field, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{f.name} must be a string", hint=f.description)
    if not value.strip():
        raise InvalidInput(f"{f.name} is blank", hint=f"give {f.description}")
    if len(value) > f.max_length:
        raise TooLarge(f"{f.name} has {len(value)} characters",
                       hint=f"keep it to at most {f.max_length}")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInput(f"{f.name} contains control characters",
                           hint="use one line of printable text")
    return value


def _check_number(f: Field, value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{f.name} must be a number", hint=f.description)
    if not math.isfinite(value) or not f.minimum <= value <= f.maximum:
        raise InvalidInput(f"{f.name} {value} is out of range",
                           hint=f"use {f.minimum:g}..{f.maximum:g}")
    if f.integer:
        if value != int(value):
            raise InvalidInput(f"{f.name} {value} is not a whole number",
                               hint="give an integer")
        return int(value)
    return float(value)


def _check_time(f: Field, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{f.name} must be an RFC 3339 string",
                           hint="e.g. 2026-11-24T20:00:00Z")
    try:
        return format_rfc3339(parse_rfc3339(value))
    except ValueError as exc:
        raise InvalidInput(f"{f.name} {value!r} is not an RFC 3339 time with an offset",
                           hint="e.g. 2026-11-24T20:00:00Z") from exc


def _check_position(f: Field, value: object) -> dict[str, float]:
    hint = 'give {"lat": -90..90, "lng": -180..180} in degrees'
    if not isinstance(value, Mapping) or set(value) != {"lat", "lng"}:
        raise InvalidInput(f"{f.name} must be an object with lat and lng only", hint=hint)
    out: dict[str, float] = {}
    for key, limit in (("lat", 90.0), ("lng", 180.0)):
        v = value[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                or not -limit <= v <= limit:
            raise InvalidInput(f"{f.name}.{key} {v!r} is not a number in "
                               f"-{limit:g}..{limit:g}", hint=hint)
        out[key] = float(v)
    return out


_CHECKS = {FieldType.TEXT: _check_text, FieldType.NUMBER: _check_number,
           FieldType.TIME: _check_time, FieldType.POSITION: _check_position}


def validate_fields(template: Template, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The normalised fields of a message of ``template``, or InvalidInput naming the field."""
    known = {f.name for f in template.fields}
    for name in fields:
        if name not in known:
            raise InvalidInput(f"{template.name} has no field {name!r}",
                               hint=f"use only: {', '.join(f.name for f in template.fields)}",
                               where=f"fields.{name}")
    out: dict[str, Any] = {}
    for f in template.fields:
        value = fields.get(f.name)
        if value is None:
            if f.required:
                raise InvalidInput(f"{f.name} is missing", hint=f"give {f.description}",
                                   where=f"fields.{f.name}")
            continue
        try:
            out[f.name] = _CHECKS[f.type](f, value)
        except InvalidInput as exc:
            raise exc.at(f"fields.{f.name}") from None
    if template.one_of and not any(n in out for n in template.one_of):
        raise InvalidInput(f"{template.name} needs one of {', '.join(template.one_of)}",
                           hint=f"give at least one of: {', '.join(template.one_of)}",
                           where=f"fields.{template.one_of[0]}")
    if template.not_before:
        later, earlier = template.not_before
        if parse_rfc3339(out[later]) < parse_rfc3339(out[earlier]):
            raise InvalidInput(f"{later} is before {earlier}",
                               hint=f"give a {later} at or after {earlier}",
                               where=f"fields.{later}")
    return out
