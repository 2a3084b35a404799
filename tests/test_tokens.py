"""Token validation against the dev key, configured PEM public keys and a real JWKS server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from hotline.adapters.tokens import mint, public_pem
from hotline.api import create_app
from hotline.settings import Settings


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _token(key: rsa.RSAPrivateKey, party: str = "blue", kid: str | None = None) -> str:
    tok = mint(key, party=party, officer="o", scopes=["duty"], issuer="idp", audience="hotline",
               ttl_s=600)
    if kid is None:
        return tok
    claims = jwt.decode(tok, options={"verify_signature": False})
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_configured_public_keys(tmp_path: Path) -> None:
    trusted, other = _key(), _key()
    pem = tmp_path / "idp.pem"
    pem.write_bytes(public_pem(trusted))
    app = create_app(Settings(data_dir=tmp_path, db=f"sqlite:///{tmp_path}/h.db",
                              jwt_issuer="idp", jwt_public_keys=[pem]))
    client = TestClient(app)
    ok = client.get("/v1/notices", headers={"Authorization": f"Bearer {_token(trusted)}"})
    bad = client.get("/v1/notices", headers={"Authorization": f"Bearer {_token(other)}"})
    assert ok.status_code == 200 and bad.status_code == 401
    assert app.state.jwks == []  # no dev issuer when keys are configured
    assert not (tmp_path / "keys" / "issuer.pem").exists()


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    key = _key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key
    server.shutdown()


def test_jwks_url(tmp_path: Path, jwks_server: tuple[str, rsa.RSAPrivateKey]) -> None:
    url, key = jwks_server
    client = TestClient(create_app(Settings(data_dir=tmp_path, db=f"sqlite:///{tmp_path}/h.db",
                                            jwt_issuer="idp", jwks_url=url)))
    good = client.get("/v1/notices", headers={"Authorization": f"Bearer {_token(key, kid='k1')}"})
    assert good.status_code == 200, good.text
    unknown = client.get("/v1/notices",
                         headers={"Authorization": f"Bearer {_token(_key(), kid='k2')}"})
    assert unknown.status_code == 401


def test_a_remembered_token_still_expires_and_a_removed_key_stops_counting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid tokens are remembered (no signature check per request), but never past their
    ``exp``, and only for ``REMEMBER_S``: a key dropped from the trusted set stops being
    honoured within that time."""
    import time

    import hotline.adapters.tokens as tokens

    key = _key()
    validator = tokens.TokenValidator(issuer="idp", audience="hotline",
                                      public_keys=[key.public_key()])
    now = time.time()
    short = mint(key, party="blue", officer="o", scopes=["duty"], issuer="idp",
                 audience="hotline", ttl_s=2, now=now - 1)  # expires in ~1 s
    assert validator.validate(short).party == "blue"
    assert validator.validate(short).party == "blue"  # remembered
    time.sleep(max(0.0, now + 1.05 - time.time()))
    with pytest.raises(tokens.Unauthorized, match="expired"):
        validator.validate(short)

    monkeypatch.setattr(tokens, "REMEMBER_S", 0.3)
    long = _token(key)
    assert validator.validate(long).party == "blue"
    validator.keys = []  # the key is no longer trusted
    assert validator.validate(long).party == "blue"  # still remembered, for a moment
    time.sleep(0.35)
    with pytest.raises(tokens.Unauthorized):
        validator.validate(long)
