"""RFC 8785 (JCS) canonical JSON: the RFC's own examples, its Appendix B number table, the
reference implementation's test data, rejections, and round-trip invariants."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.audit.canonical import MAX_DEPTH, canonical_json, number_to_text
from hotline.domain.errors import InvalidInput

# RFC 8785 §3.2.2 sample input and §3.2.3 output (also cyberphone/json-canonicalization
# testdata/input/values.json and output/values.json).
VALUES_IN = r"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
VALUES_OUT = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)

# RFC 8785 Appendix B: IEEE 754 bit pattern -> ECMAScript serialisation.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def double(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


def test_rfc8785_sample() -> None:
    assert canonical_json(json.loads(VALUES_IN)) == VALUES_OUT.encode()


@pytest.mark.parametrize(("bits", "text"), APPENDIX_B)
def test_rfc8785_appendix_b_numbers(bits: str, text: str) -> None:
    assert number_to_text(double(bits)) == text
    assert canonical_json([double(bits)]) == f"[{text}]".encode()


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_nan_and_infinity_are_rejected(bits: str) -> None:
    with pytest.raises(InvalidInput, match=r"no JSON form") as info:
        canonical_json({"a": [1, double(bits)]})
    assert info.value.where == "$.a[1]"


def test_rfc8785_sorting_example() -> None:
    # RFC 8785 §3.2.3: keys ordered by UTF-16 code units (U+1F600 is D83D DE00 < U+FB33).
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    order = [k for k, _ in json.loads(canonical_json(value), object_pairs_hook=lambda p: p)]
    assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # cyberphone/json-canonicalization testdata (structures, weird, french, arrays)
        (
            '{"1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0}, "10": { }, "": "empty", "a": { },'
            ' "111": [ {"e": "yes","E": "no" } ], "A": { }}',
            '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],'
            '"A":{},"a":{}}',
        ),
        (
            '{"\\u20ac": "Euro Sign", "1": "One", "\\u0080": "Control\\u007f", "\\ud83d\\ude02":'
            ' "Smiley", "\\u00f6": "Latin Small Letter O With Diaeresis", "\\ufb33": "Hebrew'
            ' Letter Dalet With Dagesh", "</script>": "Browser Challenge"}',
            '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","ö":"Latin Small'
            ' Letter O With Diaeresis","€":"Euro Sign","\U0001f602":"Smiley","\ufb33":"Hebrew'
            ' Letter Dalet With Dagesh"}',
        ),
        (
            '{"peach": "This sorting order", "péché": "is wrong according to French",'
            ' "pêche": "but canonicalization MUST", "sin": "ignore locale"}',
            '{"peach":"This sorting order","péché":"is wrong according to French",'
            '"pêche":"but canonicalization MUST","sin":"ignore locale"}',
        ),
        ('[56, {"d": true, "10": null, "1": [ ]}]', '[56,{"1":[],"10":null,"d":true}]'),
        ('{"Unnormalized Unicode":"A\\u030a"}', '{"Unnormalized Unicode":"A\u030a"}'),
    ],
)
def test_reference_testdata(given: str, expected: str) -> None:
    assert canonical_json(json.loads(given)) == expected.encode()


def test_escapes_only_what_jcs_escapes() -> None:
    text = "".join(chr(c) for c in range(0x80)) + "\u2028\ufeff"
    out = canonical_json(text).decode()
    assert out.startswith('"\\u0000\\u0001') and "\\b\\t\\n\\u000b\\f\\r" in out
    assert '\\u001f !\\"#' in out and "/" in out and "\\/" not in out
    assert out.endswith('[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f\u2028\ufeff"')


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (-0.0, "0"),
        (2**53, "9007199254740992"),
        (-(2**53), "-9007199254740992"),
        (10**20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (0.1, "0.1"),
        (123.0, "123"),
        (-1.5e300, "-1.5e+300"),
        (True, "true"),
    ],
)
def test_numbers(value: object, text: str) -> None:
    assert canonical_json(value) == text.encode()


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (2**60, r"cannot be represented exactly"),  # would read back as 1152921504606847000
        (10**400, r"cannot be represented exactly"),
        ({1: "a"}, r"key 1 is not a string"),
        ({"t": b"x"}, r"bytes is not a JSON value"),
        ({"t": {1, 2}}, r"set is not a JSON value"),
        ("a\ud800b", r"lone surrogate U\+D800"),
    ],
)
def test_rejections(value: object, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        canonical_json(value)


def test_depth_limit() -> None:
    deep: object = []
    for _ in range(MAX_DEPTH):
        deep = [deep]
    assert canonical_json(deep).startswith(b"[[[")
    with pytest.raises(InvalidInput, match="nested deeper"):
        canonical_json([deep])


def test_insertion_order_does_not_matter() -> None:
    assert canonical_json({"b": 1, "a": [{"y": 2, "x": 3}]}) == canonical_json(
        {"a": [{"x": 3, "y": 2}], "b": 1}
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def as_doubles(value: object) -> object:
    """JSON's view of a value: every number an IEEE double (Python reads ``1e17`` written
    as ``100000000000000000`` back as an int, equal as JSON but not as Python)."""
    if isinstance(value, list):
        return [as_doubles(v) for v in value]
    if isinstance(value, dict):
        return {k: as_doubles(v) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


@given(json_values)
def test_round_trip_and_idempotence(value: object) -> None:
    out = canonical_json(value)
    back = json.loads(out)
    assert as_doubles(back) == as_doubles(value)
    assert canonical_json(back) == out
    assert canonical_json(json.loads(json.dumps(value, indent=2, sort_keys=False))) == out


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**53), 2**53)
        | st.text()
        | st.floats(-(2.0**53), 2.0**53),
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
        max_leaves=30,
    )
)
def test_round_trip_is_exact_for_safe_numbers(value: object) -> None:
    assert json.loads(canonical_json(value)) == value


def _significant(text: str) -> str:
    return text.split("e")[0].lstrip("-").replace(".", "").strip("0")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_text_is_shortest_round_trip_in_es_layout(x: float) -> None:
    text = number_to_text(x)
    assert float(text) == x
    assert _significant(text) == _significant(repr(x))  # repr: shortest round-trip digits
    plain = x == 0 or 1e-6 <= abs(x) < 1e21
    assert ("e" not in text) == plain
    if "e" in text:
        mantissa, exponent = text.split("e")
        assert exponent[0] in "+-" and not exponent[1:].startswith("0")
        assert 1 <= abs(float(mantissa)) < 10 and not mantissa.endswith("0")
    elif x == int(x):
        assert "." not in text
    else:
        assert not text.endswith("0")
