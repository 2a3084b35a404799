"""Bearer tokens: the dev issuer (RS256, key created on first use) and token validation.

Contract: a token is a JWT signed RS256 with claims ``iss``, ``aud``, ``exp``, ``iat``,
``sub`` (the officer or system), ``party`` and ``scope`` (space-separated). Validation checks
signature, ``exp``, ``aud``, ``iss`` and the presence of ``sub``/``party``; it trusts the dev
key, or configured PEM public keys, or a JWKS URL. Scopes are checked by the API per route.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hotline.domain.errors import Unauthorized
from hotline.domain.notice import check_party

SCOPES = {
    "duty": "hotline:duty",  # a duty officer: file notices and zones, read, acknowledge
    "feed": "hotline:feed",  # a track feed: post tracks
    "admin": "hotline:admin",  # read everything of its party, manage webhooks and settings
}


@dataclass(frozen=True, slots=True)
class Principal:
    party: str
    officer: str
    scopes: frozenset[str]
    token_id: str


def _key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / "issuer.pem"


def load_or_create_issuer_key(data_dir: Path) -> rsa.RSAPrivateKey:
    path = _key_path(data_dir)
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    create_secret_file(path, pem)
    return load_or_create_issuer_key(data_dir)


def create_secret_file(path: Path, data: bytes) -> None:
    """Create ``path`` (mode 0600) holding ``data``, atomically; if another process created it
    first, keep theirs (the caller then reads the file back)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    with contextlib.suppress(FileExistsError):
        os.link(tmp, path)  # atomic, and never replaces a key another process just made
    tmp.unlink(missing_ok=True)


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: rsa.RSAPrivateKey) -> str:
    import hashlib

    return hashlib.sha256(public_pem(key)).hexdigest()[:16]


def expand_scopes(scopes: list[str]) -> list[str]:
    """Accept short role names (``duty``) or full scopes (``hotline:duty``)."""
    out = []
    for s in scopes:
        full = SCOPES.get(s, s)
        if full not in SCOPES.values():
            raise ValueError(f"unknown scope {s!r}; use one of {', '.join(SCOPES)}")
        out.append(full)
    return out


def mint(
    key: rsa.RSAPrivateKey,
    *,
    party: str,
    officer: str,
    scopes: list[str],
    issuer: str,
    audience: str,
    ttl_s: int,
    now: float | None = None,
) -> str:
    check_party(party)
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": officer,
        "party": party,
        "scope": " ".join(expand_scopes(scopes)),
        "iat": issued,
        "exp": issued + ttl_s,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": key_id(key)})


#: How long a validated token is remembered (seconds, and never past its ``exp``): an RS256
#: verification costs ~0.3 ms of interpreter time, ~5 % of the server at 1,000 alerts/s
#: (relay benchmark profile). A key removed from the trusted set or the JWKS stops being
#: honoured within this time.
REMEMBER_S = 60.0
REMEMBER_MAX = 4096


class TokenValidator:
    """Validates bearer tokens against trusted keys or a JWKS URL, remembering each valid
    token for up to :data:`REMEMBER_S` (never past its expiry)."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        public_keys: list[Any] | None = None,
        jwks_url: str = "",
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys = list(public_keys or [])
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self._known: dict[str, tuple[Principal, float]] = {}  # token -> (who, until)
        self._known_lock = threading.Lock()

    def _keys_for(self, token: str) -> list[Any]:
        if self.jwks is not None:
            try:
                return [self.jwks.get_signing_key_from_jwt(token).key]
            except jwt.PyJWKClientError as exc:
                raise Unauthorized(f"token key not found in JWKS: {exc}",
                                   hint="use a token from the configured issuer") from None
        return self.keys

    def validate(self, token: str) -> Principal:
        known = self._known.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        principal, exp = self._validate(token)
        with self._known_lock:
            if len(self._known) >= REMEMBER_MAX:
                self._known.clear()
            self._known[token] = (principal, min(exp, time.time() + REMEMBER_S))
        return principal

    def _validate(self, token: str) -> tuple[Principal, float]:
        last: Exception | None = None
        for key in self._keys_for(token):
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=["RS256"],
                    audience=self.audience,
                    issuer=self.issuer,
                    options={"require": ["exp", "iss", "aud", "sub"]},
                )
            except jwt.InvalidSignatureError as exc:
                last = exc
                continue
            except jwt.ExpiredSignatureError:
                raise Unauthorized("token has expired", hint="mint a new token") from None
            except jwt.InvalidAudienceError:
                raise Unauthorized(
                    "token audience is wrong", hint=f"use a token for audience {self.audience!r}"
                ) from None
            except jwt.InvalidIssuerError:
                raise Unauthorized(
                    "token issuer is not trusted", hint=f"use a token from {self.issuer!r}"
                ) from None
            except jwt.PyJWTError as exc:
                raise Unauthorized(f"token is invalid: {exc}", hint="send a valid bearer token") \
                    from None
            party = claims.get("party")
            if not isinstance(party, str) or not party:
                raise Unauthorized("token has no party claim", hint="mint it with --party")
            scope = claims.get("scope", "")
            return Principal(
                party=party,
                officer=str(claims["sub"]),
                scopes=frozenset(str(scope).split()),
                token_id=str(claims.get("jti", "")),
            ), float(claims["exp"])
        raise Unauthorized(
            "token signature does not verify" if last else "no trusted keys are configured",
            hint="use a token signed by the configured issuer",
        )


def unverified_identity(token: str) -> tuple[str, str]:
    """``(party, officer)`` claimed by a token that failed validation, read without checking
    anything (for the audit record of the failure); ``"unknown"`` where absent or unusable."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except Exception:  # anything unreadable is simply unknown
        return "unknown", "unknown"
    party, officer = claims.get("party"), claims.get("sub")
    try:
        party = check_party(party) if isinstance(party, str) else "unknown"
    except ValueError:
        party = "unknown"
    if not isinstance(officer, str) or not officer or len(officer) > 200:
        officer = "unknown"
    return str(party), officer
