"""Message templates: every template accepts a good example and normalises it; each bad
field is refused with an error that names the field and says how to fix it."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.domain.errors import InvalidInput
from hotline.relay.templates import TEMPLATES, catalogue, get_template, validate_fields

GOOD: dict[str, dict[str, Any]] = {
    "request_hold": {"callsign": "RCH123", "position": "HOLD at VESAN FL240",
                     "until": "2026-11-24T14:30:00+01:00", "reason": "tanker track active"},
    "confirm_clear": {"notice": "b1"},
    "aircraft_in_distress": {"callsign": "SYR42", "position": {"lat": 35.1, "lng": 36},
                             "nature": "engine failure, descending", "souls": 3},
    "intent_to_enter": {"area": "north of the river", "time_start": "2026-11-24T13:00:00Z",
                        "time_end": "2026-11-24T13:30:00Z"},
}


def test_catalogue_lists_every_template_with_typed_fields() -> None:
    listed = {t["name"]: t for t in catalogue()}
    assert set(listed) == set(TEMPLATES) == set(GOOD)
    hold = {f["name"]: f for f in listed["request_hold"]["fields"]}
    assert hold["callsign"] == {"name": "callsign", "type": "text", "required": True,
                                "description": "the aircraft's callsign", "max_length": 16}
    assert hold["until"]["type"] == "time"
    souls = {f["name"]: f for f in listed["aircraft_in_distress"]["fields"]}["souls"]
    assert souls["required"] is False and souls["integer"] is True and souls["maximum"] == 10000
    assert listed["confirm_clear"]["rules"] == ["give at least one of: callsign, notice"]


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_examples_pass(name: str) -> None:
    out = validate_fields(get_template(name), GOOD[name])
    assert set(out) == set(GOOD[name])


def test_values_are_normalised() -> None:
    hold = validate_fields(get_template("request_hold"), GOOD["request_hold"])
    assert hold["until"] == "2026-11-24T13:30:00Z"  # to UTC with Z
    distress = validate_fields(get_template("aircraft_in_distress"),
                               {**GOOD["aircraft_in_distress"], "souls": 3.0})
    assert distress["position"] == {"lat": 35.1, "lng": 36.0} and distress["souls"] == 3
    assert isinstance(distress["souls"], int)


BAD = [
    ("request_hold", {"callsign": None}, "fields.callsign", "missing"),
    ("request_hold", {"callsign": "X" * 17}, "fields.callsign", "at most 16"),
    ("request_hold", {"callsign": "   "}, "fields.callsign", "blank"),
    ("request_hold", {"callsign": 42}, "fields.callsign", "must be a string"),
    ("request_hold", {"reason": "a\x00b"}, "fields.reason", "control characters"),
    ("request_hold", {"until": "tomorrow"}, "fields.until", "RFC 3339"),
    ("request_hold", {"until": "2026-11-24T14:30:00"}, "fields.until", "with an offset"),
    ("request_hold", {"colour": "red"}, "fields.colour", "no field"),
    ("aircraft_in_distress", {"position": {"lat": 91, "lng": 0}}, "fields.position", "lat"),
    ("aircraft_in_distress", {"position": {"lat": 0}}, "fields.position", "lat and lng"),
    ("aircraft_in_distress", {"position": "35N 36E"}, "fields.position", "lat and lng"),
    ("aircraft_in_distress", {"souls": -1}, "fields.souls", "out of range"),
    ("aircraft_in_distress", {"souls": 2.5}, "fields.souls", "whole number"),
    ("aircraft_in_distress", {"souls": True}, "fields.souls", "must be a number"),
    ("aircraft_in_distress", {"souls": float("nan")}, "fields.souls", "out of range"),
    ("confirm_clear", {"notice": None}, "fields.callsign", "needs one of"),
    ("intent_to_enter", {"time_end": "2026-11-24T12:59:59Z"}, "fields.time_end", "before"),
]


@pytest.mark.parametrize(("name", "change", "where", "says"), BAD)
def test_each_bad_field_is_named(name: str, change: dict[str, Any], where: str,
                                 says: str) -> None:
    fields = {k: v for k, v in {**GOOD[name], **change}.items() if v is not None}
    with pytest.raises(InvalidInput) as caught:
        validate_fields(get_template(name), fields)
    assert caught.value.where == where
    assert says in caught.value.message and caught.value.hint


def test_unknown_template_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        get_template("free_text")
    assert caught.value.where == "template" and "request_hold" in caught.value.hint
