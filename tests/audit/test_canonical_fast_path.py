"""The fast path of ``canonical_json`` (the standard library's encoder, when it is provably
canonical) gives exactly the bytes of the RFC 8785 reference path, for any JSON value."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.audit import canonical

floats = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [1e-4, 9.99e-5, 1e16, 9.9e15, 1e21, 1e-7, -0.0, 0.0, 2.0**53, 2.0**53 + 2, 0.1, 123.0])
scalars = (st.none() | st.booleans() | st.integers(-(2**60), 2**60) | floats
           | st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                               max_size=4),
    max_leaves=20,
)


def _slow(value: object) -> bytes | Exception:
    parts: list[str] = []
    try:
        canonical._write(value, parts, "$", 0)
        return "".join(parts).encode("utf-8")
    except Exception as exc:
        return exc


@settings(max_examples=600, deadline=None)
@given(values)
def test_fast_path_agrees_with_the_reference(value: object) -> None:
    reference = _slow(value)
    fast = canonical._fast(value)
    if fast is not None:
        assert not isinstance(reference, Exception), (value, reference)
        assert fast == reference
    try:
        got: bytes | Exception = canonical.canonical_json(value)
    except Exception as exc:
        got = exc
    if isinstance(reference, Exception):
        assert isinstance(got, Exception)
    else:
        assert got == reference
