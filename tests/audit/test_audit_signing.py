"""Ed25519 statements over canonical JSON: the RFC 8037 key and signature vectors, round trips
through any JSON formatting, and every way a signed statement can be wrong."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from hotline.audit.canonical import canonical_json
from hotline.audit.errors import BadSignature, UnknownKey, VerificationFailed
from hotline.audit.signing import (
    Signer,
    b64url_decode,
    b64url_encode,
    key_from_jwk,
    key_id,
    key_ring,
    public_jwk,
    verify_signed,
)
from hotline.domain.errors import InvalidInput

# RFC 8037 Appendix A.1 (key) and A.4 (Ed25519 signature of a JWS signing input).
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_INPUT = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
RFC8037_SIG = (
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)

SIGNER = Signer.from_private_bytes(b64url_decode(RFC8037_D))
OTHER = Signer.from_private_bytes(bytes(range(32)))
KEYS = {SIGNER.key_id: SIGNER.public_key}
STATEMENT: dict[str, Any] = {
    "type": "hotline.receipt.v1",
    "item": "msg-7",
    "party": "blue",
    "officer": "duty-1",
    "at": "2026-11-24T12:00:00Z",
    "content_sha256": "ab" * 32,
    "lead_time_s": 61.5,
}


def test_rfc8037_key_and_signature() -> None:
    jwk = public_jwk(SIGNER.public_key)
    assert jwk["x"] == RFC8037_X
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": RFC8037_X,
        "kid": key_id(SIGNER.public_key),
        "alg": "EdDSA",
        "use": "sig",
    }
    sig = b64url_decode(RFC8037_SIG)
    SIGNER.public_key.verify(sig, RFC8037_INPUT)  # raises if our key handling were wrong
    private = Ed25519PrivateKey.from_private_bytes(b64url_decode(RFC8037_D))
    assert b64url_encode(private.sign(RFC8037_INPUT)) == RFC8037_SIG


def test_key_id_is_sha256_prefix_of_raw_public_key() -> None:
    raw = b64url_decode(RFC8037_X)
    assert SIGNER.key_id == hashlib.sha256(raw).hexdigest()[:16] == "21fe31dfa154a261"


def test_sign_and_verify() -> None:
    signed = SIGNER.sign(STATEMENT)
    assert signed["signature"]["alg"] == "Ed25519"
    assert signed["signature"]["kid"] == SIGNER.key_id
    assert {k: v for k, v in signed.items() if k != "signature"} == STATEMENT
    assert verify_signed(signed, KEYS) == STATEMENT
    assert verify_signed(signed, KEYS, expected_type="hotline.receipt.v1") == STATEMENT
    # the signature covers exactly the canonical bytes of the statement
    value = b64url_decode(signed["signature"]["value"])
    SIGNER.public_key.verify(value, canonical_json(STATEMENT))
    assert STATEMENT.get("signature") is None  # the input is not modified


def test_survives_any_json_formatting() -> None:
    signed = SIGNER.sign(STATEMENT)
    wire = json.dumps(dict(reversed(list(signed.items()))), indent=4, ensure_ascii=True)
    assert verify_signed(json.loads(wire), KEYS) == STATEMENT


@pytest.mark.parametrize(
    ("field", "value"),
    [("party", "red"), ("lead_time_s", 61.6), ("at", "2026-11-24T12:00:01Z"), ("extra", 1)],
)
def test_any_change_breaks_the_signature(field: str, value: object) -> None:
    signed = SIGNER.sign(STATEMENT)
    signed[field] = value
    with pytest.raises(BadSignature, match=r"does not match the hotline\.receipt\.v1 statement"):
        verify_signed(signed, KEYS)


def test_removed_field_breaks_the_signature() -> None:
    signed = SIGNER.sign(STATEMENT)
    del signed["officer"]
    with pytest.raises(BadSignature):
        verify_signed(signed, KEYS)


def tampered_signature(change: dict[str, Any]) -> dict[str, Any]:
    signed = SIGNER.sign(STATEMENT)
    signed["signature"] = {**signed["signature"], **change}
    return signed


def test_signature_problems() -> None:
    value = SIGNER.sign(STATEMENT)["signature"]["value"]
    raw = b64url_decode(value)
    flipped = b64url_encode(bytes([raw[0] ^ 1]) + raw[1:])
    short = b64url_encode(raw[:-1])
    cases: list[tuple[dict[str, Any], type[VerificationFailed], str]] = [
        (tampered_signature({"value": flipped}), BadSignature, "does not match"),
        (tampered_signature({"value": short}), BadSignature, "does not match"),
        (tampered_signature({"value": value + "=="}), BadSignature, "not base64url"),
        (tampered_signature({"value": 5}), BadSignature, "not base64url"),
        (tampered_signature({"alg": "EdDSA"}), BadSignature, "alg"),
        (tampered_signature({"kid": "0000000000000000"}), UnknownKey, "not a trusted key"),
        (tampered_signature({"kid": 7}), UnknownKey, "not a trusted key"),
        (tampered_signature({"extra": 1}), BadSignature, "exactly"),
        (STATEMENT, BadSignature, "no signature"),
    ]
    for signed, error, match in cases:
        with pytest.raises(error, match=match):
            verify_signed(signed, KEYS)


def test_signed_by_another_key() -> None:
    forged = OTHER.sign(STATEMENT)
    with pytest.raises(UnknownKey):
        verify_signed(forged, KEYS)
    # same kid claimed, other key's signature
    forged["signature"]["kid"] = SIGNER.key_id
    with pytest.raises(BadSignature):
        verify_signed(forged, KEYS)
    assert verify_signed(OTHER.sign(STATEMENT), {OTHER.key_id: OTHER.public_key}) == STATEMENT


def test_type_is_required_and_checked() -> None:
    with pytest.raises(InvalidInput, match="no 'type'"):
        SIGNER.sign({"item": "x"})
    with pytest.raises(InvalidInput, match="already has a 'signature'"):
        SIGNER.sign(SIGNER.sign(STATEMENT))
    with pytest.raises(BadSignature, match=r"expected 'hotline\.tree-head\.v1'"):
        verify_signed(SIGNER.sign(STATEMENT), KEYS, expected_type="hotline.tree-head.v1")
    with pytest.raises(InvalidInput, match="not a JSON value"):
        SIGNER.sign({"type": "t", "when": object()})


def test_errors_are_bad_input() -> None:
    # the API maps InvalidInput to 400; these are also ValueErrors
    assert issubclass(BadSignature, InvalidInput) and issubclass(UnknownKey, ValueError)


def test_jwk_round_trip_and_rejections() -> None:
    jwk = public_jwk(OTHER.public_key)
    assert key_id(key_from_jwk(jwk)) == OTHER.key_id
    assert key_id(key_from_jwk({k: v for k, v in jwk.items() if k != "kid"})) == OTHER.key_id
    ring = key_ring([public_jwk(SIGNER.public_key), jwk])
    assert set(ring) == {SIGNER.key_id, OTHER.key_id}
    assert verify_signed(OTHER.sign(STATEMENT), ring) == STATEMENT
    bad: list[tuple[dict[str, Any], str]] = [
        ({**jwk, "kid": SIGNER.key_id}, "does not match its key"),
        ({**jwk, "crv": "Ed448"}, "not an Ed25519 key"),
        ({**jwk, "kty": "EC"}, "not an Ed25519 key"),
        ({**jwk, "d": RFC8037_D}, "private key"),
        ({**jwk, "x": b64url_encode(b"\x01" * 31)}, "32-byte"),
        ({**jwk, "x": jwk["x"] + "="}, "not base64url"),
    ]
    for candidate, match in bad:
        with pytest.raises(InvalidInput, match=match):
            key_from_jwk(candidate)


def test_private_key_must_be_32_bytes() -> None:
    with pytest.raises(InvalidInput, match="32 raw bytes"):
        Signer.from_private_bytes(b"\x00" * 31)


@pytest.mark.parametrize("text", ["QQ", "QR", "Q", "QQ==", "Q+/A", "Q Q", "é"])
def test_b64url_is_strict(text: str) -> None:
    if text == "QQ":
        assert b64url_decode(text) == b"A"
        return
    with pytest.raises(InvalidInput):  # padding, non-canonical bits, wrong alphabet
        b64url_decode(text)


@given(st.binary(max_size=80))
def test_b64url_round_trip(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert b64url_decode(text) == data


json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=15,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6), st.data())
def test_any_statement_round_trips_and_any_value_change_is_caught(
    body: dict[str, Any], draw: st.DataObject
) -> None:
    body.pop("signature", None)
    statement = {**body, "type": "hotline.test.v1"}
    signed = SIGNER.sign(statement)
    back = verify_signed(json.loads(json.dumps(signed)), KEYS)
    assert canonical_json(back) == canonical_json(statement)
    key = draw.draw(st.sampled_from(sorted(statement)), label="field")
    changed = copy.deepcopy(signed)
    changed[key] = [changed[key]]  # a value wrapped in a list is a different JSON value
    with pytest.raises(BadSignature):
        verify_signed(changed, KEYS)
