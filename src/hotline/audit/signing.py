"""Ed25519 signatures over RFC 8785 canonical JSON statements, and their public keys as JWKs.

Contract:

- A *statement* is a JSON object (``dict``) with a non-empty string ``type`` naming what it is
  (e.g. ``"hotline.tree-head.v1"``), so that a signature over one kind of statement can never be
  passed off as another, and no ``signature`` member. :meth:`Signer.sign` returns a new dict:
  the statement plus ``"signature": {"alg": "Ed25519", "kid": ..., "value": ...}``, where
  ``value`` is the base64url (no padding) Ed25519 signature of ``canonical_json(statement)``.
- ``kid`` is the first 16 hex digits of SHA-256 of the 32-byte raw public key (:func:`key_id`).
- :func:`verify_signed` checks such a dict against trusted keys (kid → public key) and returns
  the statement without its signature; any failure raises
  :class:`~hotline.audit.errors.UnknownKey` or :class:`~hotline.audit.errors.BadSignature`.
- :func:`public_jwk` / :func:`key_from_jwk` convert public keys to and from RFC 8037 OKP JWKs
  for publication (``GET /v1/keys``). No file or network I/O: keys come in as bytes or objects.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hotline.audit.canonical import canonical_json
from hotline.audit.errors import BadSignature, UnknownKey
from hotline.domain.errors import InvalidInput

ALG = "Ed25519"
SIGNATURE_SIZE = 64


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: object, what: str = "value") -> bytes:
    """Strict inverse of :func:`b64url_encode`: only the canonical encoding is accepted."""
    if isinstance(text, str) and text.isascii():
        try:
            data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            pass
        else:
            if b64url_encode(data) == text:
                return data
    raise InvalidInput(f"{what} is not base64url", hint="encode bytes as base64url, no padding")


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 of the raw 32-byte public key."""
    return hashlib.sha256(raw_public_key(key)).hexdigest()[:16]


class Signer:
    """Signs statements with one Ed25519 private key."""

    __slots__ = ("_key", "key_id", "public_key")

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> Signer:
        """A signer for the raw 32-byte Ed25519 private key (seed)."""
        try:
            return cls(Ed25519PrivateKey.from_private_bytes(raw))
        except ValueError:
            raise InvalidInput(
                "an Ed25519 private key is 32 raw bytes", hint="pass the key's raw seed"
            ) from None

    def sign(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        """The statement plus its ``signature`` member (see the module contract)."""
        body = _statement(statement)
        value = self._key.sign(canonical_json(body))
        signature = {"alg": ALG, "kid": self.key_id, "value": b64url_encode(value)}
        return {**body, "signature": signature}

    def __repr__(self) -> str:
        return f"Signer(key_id={self.key_id!r})"


def verify_signed(
    signed: Mapping[str, Any],
    public_keys: Mapping[str, Ed25519PublicKey],
    *,
    expected_type: str | None = None,
) -> dict[str, Any]:
    """Check the signature of a signed statement; return the statement without it.

    Raises :class:`UnknownKey` when ``kid`` is not in ``public_keys``, :class:`BadSignature`
    when the signature is missing, malformed or wrong, or when the statement's ``type`` is not
    ``expected_type`` (if given).
    """
    if not isinstance(signed, Mapping):
        raise BadSignature("a signed statement must be a JSON object")
    sig = signed.get("signature")
    if not isinstance(sig, Mapping):
        raise BadSignature(
            "statement has no signature object", hint="sign it with Signer.sign first"
        )
    if sig.get("alg") != ALG or set(sig) != {"alg", "kid", "value"}:
        raise BadSignature(
            f"signature must be exactly {{alg: {ALG!r}, kid, value}}, got {sorted(sig)} with "
            f"alg {sig.get('alg')!r}",
        )
    kid = sig["kid"]
    key = public_keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise UnknownKey(
            f"signature key id {kid!r} is not a trusted key",
            hint=f"trusted key ids: {sorted(public_keys)}; fetch current keys from /v1/keys",
        )
    try:
        value = b64url_decode(sig["value"], "signature value")
    except InvalidInput as exc:
        raise BadSignature(exc.detail, hint=exc.hint) from None
    body = _statement({k: v for k, v in signed.items() if k != "signature"}, BadSignature)
    if expected_type is not None and body["type"] != expected_type:
        raise BadSignature(f"statement type is {body['type']!r}, expected {expected_type!r}")
    try:
        message = canonical_json(body)
    except InvalidInput as exc:
        raise BadSignature(f"statement is not signable JSON: {exc.message}") from None
    try:
        if len(value) != SIGNATURE_SIZE:
            raise InvalidSignature
        key.verify(value, message)
    except InvalidSignature:
        raise BadSignature(
            f"signature by key {kid} does not match the {body['type']} statement",
            hint="the statement was changed after signing, or signed by another key",
        ) from None
    return body


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The RFC 8037 JWK publishing ``key`` (``kid`` as :func:`key_id`)."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url_encode(raw_public_key(key)),
        "kid": key_id(key),
        "alg": "EdDSA",
        "use": "sig",
    }


def key_from_jwk(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    """Parse an Ed25519 public JWK; a ``kid``, if present, must match :func:`key_id`."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise InvalidInput(
            f"JWK is kty={jwk.get('kty')!r} crv={jwk.get('crv')!r}, not an Ed25519 key",
            hint='give {"kty": "OKP", "crv": "Ed25519", "x": ...}',
        )
    if "d" in jwk:
        raise InvalidInput("JWK contains a private key ('d')", hint="publish public keys only")
    raw = b64url_decode(jwk.get("x"), "JWK 'x'")
    try:
        key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise InvalidInput("JWK 'x' is not a 32-byte Ed25519 public key") from None
    kid = jwk.get("kid")
    if kid is not None and kid != key_id(key):
        raise InvalidInput(
            f"JWK kid {kid!r} does not match its key (expected {key_id(key)!r})",
            hint="kid is the first 16 hex digits of SHA-256 of the raw public key",
        )
    return key


def key_ring(jwks: Iterable[Mapping[str, Any]]) -> dict[str, Ed25519PublicKey]:
    """Trusted keys by key id, from published JWKs (e.g. the ``keys`` of a JWK set)."""
    ring: dict[str, Ed25519PublicKey] = {}
    for jwk in jwks:
        key = key_from_jwk(jwk)
        ring[key_id(key)] = key
    return ring


def _statement(
    statement: Mapping[str, Any], error: type[InvalidInput] = InvalidInput
) -> dict[str, Any]:
    if not isinstance(statement, Mapping):
        raise error("a statement must be a JSON object")
    if "signature" in statement:
        raise error("statement already has a 'signature' member", hint="sign it only once")
    kind = statement.get("type")
    if not isinstance(kind, str) or not kind:
        raise error(
            "statement has no 'type'",
            hint='name what it states, e.g. {"type": "hotline.receipt.v1", ...}',
        )
    return dict(statement)
