"""The HTTP API against ``create_app()`` with a real SQLite store: the walk-through, bad input
(problem+json, nothing changed) and the authorization matrix."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from builders import box_json, rfc
from conftest import NOW
from hotline.adapters.clock import ManualClock
from hotline.adapters.tokens import load_or_create_issuer_key, mint
from hotline.api import create_app
from hotline.settings import Settings

Token = Callable[..., str]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, db=f"sqlite:///{tmp_path / 'h.db'}", max_area_km2=50_000)


@pytest.fixture
def client(settings: Settings, clock: ManualClock) -> TestClient:
    return TestClient(create_app(settings, clock=clock))


@pytest.fixture
def token(settings: Settings, clock: ManualClock) -> Token:
    key = load_or_create_issuer_key(settings.data_dir)

    def make(party: str = "blue", scopes: tuple[str, ...] = ("duty",), *,
             key: rsa.RSAPrivateKey = key, issuer: str = settings.jwt_issuer,
             audience: str = settings.jwt_audience, ttl: int = 3600,
             now: float | None = None) -> str:
        return mint(key, party=party, officer=f"{party}-officer", scopes=list(scopes),
                    issuer=issuer, audience=audience, ttl_s=ttl, now=now)

    return make


def auth(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def notice_body(clock: ManualClock, lat: float = 35.0, **extra: Any) -> dict[str, Any]:
    start = clock.now() + timedelta(hours=1)
    return {"volumes": [box_json(lat, 37.0, 5, start)], "purpose": "CAP", "priority": 10,
            "state": "Accepted", **extra}


def test_walk_through(client: TestClient, token: Token, clock: ManualClock) -> None:
    blue, red, civil = auth(token("blue")), auth(token("red")), auth(token("civil"))
    r = client.put("/v1/notices/blue-cap", json=notice_body(clock), headers=blue)
    assert r.status_code == 201, r.text
    assert r.json()["conflicts"] == [] and r.headers["etag"] == '"1"'
    r = client.put("/v1/notices/red-strike", json=notice_body(clock, 35.05), headers=red)
    assert r.status_code == 201
    (conflict,) = r.json()["conflicts"]
    assert conflict["with"] == {"kind": "notice", "id": "blue-cap", "owner": "blue"}
    ov = conflict["overlaps"][0]
    assert ov["time_start"]["value"] == rfc(clock.now() + timedelta(hours=1))
    assert ov["altitude_upper"] == {"value": 1000.0, "reference": "W84", "units": "M"}
    # the party that filed first learns too
    got = client.get("/v1/notices/blue-cap", headers=blue).json()
    assert [c["with"]["id"] for c in got["conflicts"]] == ["red-strike"]
    # need to know: red sees blue's details (they conflict), civil only the reservation
    assert client.get("/v1/notices/blue-cap", headers=red).json()["purpose"] == "CAP"
    reserved = client.get("/v1/notices/blue-cap", headers=civil).json()
    assert "purpose" not in reserved and reserved["owner"] == "blue" and reserved["volumes"]
    # update with version; stale version is 409; others may not touch it
    upd = client.put("/v1/notices/blue-cap", json=notice_body(clock, 36.0, version=1),
                     headers=blue)
    assert upd.status_code == 200 and upd.json()["version"] == 2 and upd.json()["conflicts"] == []
    assert client.put("/v1/notices/blue-cap", json=notice_body(clock, version=1),
                      headers=blue).status_code == 409
    assert client.put("/v1/notices/blue-cap", json=notice_body(clock, version=2),
                      headers=red).status_code == 403
    assert client.delete("/v1/notices/blue-cap", headers=red).status_code == 403
    # list by area
    lst = client.get("/v1/notices", params={"bbox": "34.5,36.5,35.5,37.5"}, headers=civil)
    assert [n["id"] for n in lst.json()["items"]] == ["red-strike"]
    assert client.delete("/v1/notices/blue-cap", headers=blue).json()["deleted"] is True
    assert client.get("/v1/notices/blue-cap", headers=blue).status_code == 404


def test_zone_and_late_notice(client: TestClient, token: Token, clock: ManualClock) -> None:
    start = clock.now() + timedelta(minutes=5)
    zone = {"role": "engagement", "name": "SAM 3",
            "volumes": [box_json(35, 37, 20, start, 24, 0, 15000, "AMSL", "FT")]}
    r = client.put("/v1/zones/sam-3", json=zone, headers=auth(token("red")))
    assert r.status_code == 201
    assert r.json()["lead_time"] == {"measured_s": 300.0, "required_s": 900.0, "late": True}
    n = client.put("/v1/notices/cap", json=notice_body(clock), headers=auth(token("blue")))
    assert [c["with"]["kind"] for c in n.json()["conflicts"]] == ["zone"]


def _mutate(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node: Any = out
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if k.isdigit() else node[k]
    last = keys[-1]
    if value is DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return out


DELETE = object()
V = "volumes.0.volume"
BOWTIE = [{"lat": 35, "lng": 37}, {"lat": 35.1, "lng": 37.1}, {"lat": 35, "lng": 37.1},
          {"lat": 35.1, "lng": 37}]
LINE = [{"lat": 35, "lng": 37}, {"lat": 35.1, "lng": 37}, {"lat": 35.2, "lng": 37}]  # a meridian
TOO_MANY = [{"lat": 35 + 0.1 * __import__("math").sin(i / 1600), "lng":
             37 + 0.1 * __import__("math").cos(i / 1600)} for i in range(10_001)]

BAD_INPUT: list[tuple[str, str, Any, str]] = [
    ("self-intersecting", f"{V}.outline_polygon.vertices", BOWTIE, "cross"),
    ("degenerate", f"{V}.outline_polygon.vertices", LINE, ""),
    ("too few vertices", f"{V}.outline_polygon.vertices", BOWTIE[:2], ""),
    ("too many vertices", f"{V}.outline_polygon.vertices", TOO_MANY, "10"),
    ("end before start", "volumes.0.time_end.value", "2026-11-24T12:30:00Z", "time_end"),
    ("in the past", "volumes.0", box_json(35, 37, 5, NOW - timedelta(hours=3)), "past"),
    ("lower above upper", f"{V}.altitude_lower.value", 5000, "altitude_lower"),
    ("unknown field", f"{V}.colour", "red", "colour"),
    ("unknown top field", "wings", 2, "wings"),
    ("unknown units", f"{V}.altitude_lower.units", "furlongs", "units"),
    ("unknown reference", f"{V}.altitude_lower.reference", "QNH", "reference"),
    ("FL without PRESSURE", f"{V}.altitude_lower.units", "FL", "PRESSURE"),
    ("no offset", "volumes.0.time_start.value", "2026-11-24T13:00:00", "timezone"),
    ("not a time", "volumes.0.time_start.value", "tomorrow", "RFC 3339"),
    ("missing altitude", f"{V}.altitude_upper", DELETE, "altitude_upper"),
    ("huge area", f"{V}.outline_polygon.vertices",
     [{"lat": 30, "lng": 30}, {"lat": 30, "lng": 40}, {"lat": 40, "lng": 40},
      {"lat": 40, "lng": 30}], "km"),
    ("bad state", "state", "Flying", "state"),
    ("latitude out of range", f"{V}.outline_polygon.vertices.0.lat", 95, "lat"),
]


@pytest.mark.parametrize(("case", "path", "value", "says"), BAD_INPUT,
                         ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_a_clear_4xx_and_changes_nothing(
    client: TestClient, token: Token, clock: ManualClock, case: str, path: str, value: Any,
    says: str,
) -> None:
    blue = auth(token("blue"))
    base = notice_body(clock)
    before = client.put("/v1/notices/kept", json=base, headers=blue).json()
    for target, body in (("kept", {**base, "version": 1}), ("new", base)):
        r = client.put(f"/v1/notices/{target}", json=_mutate(body, path, value), headers=blue)
        assert 400 <= r.status_code < 500, (case, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["status"] == r.status_code and problem["detail"]
        assert says.lower() in r.text.lower(), (case, problem)
        assert "hint" in r.text or "(" in problem["detail"]
    after = client.get("/v1/notices/kept", headers=blue).json()
    assert after == {**before, "conflicts": []}
    assert client.get("/v1/notices/new", headers=blue).status_code == 404


def test_oversized_request_and_bad_json(client: TestClient, token: Token) -> None:
    r = client.put("/v1/notices/x", content=b"{not json", headers={
        **auth(token()), "content-type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.text
    huge = b'{"purpose": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    r = client.put("/v1/notices/x", content=huge, headers={
        **auth(token()), "content-type": "application/json"})
    assert r.status_code == 413 and "HOTLINE_MAX_BODY_BYTES" in r.json()["detail"]
    assert client.get("/v1/notices/x", headers=auth(token())).status_code == 404


# ------------------------------------------------------------------ authorization matrix

ENDPOINTS = [
    ("PUT", "/v1/notices/n1", "write"),
    ("GET", "/v1/notices/n1", "read"),
    ("DELETE", "/v1/notices/n1", "write"),
    ("GET", "/v1/notices", "read"),
    ("PUT", "/v1/zones/z1", "write"),
    ("GET", "/v1/zones/z1", "read"),
    ("DELETE", "/v1/zones/z1", "write"),
    ("GET", "/v1/zones", "read"),
]


def _credentials(token: Token) -> dict[str, tuple[dict[str, str], int | None]]:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    past = time.time() - 7200
    return {
        "none": ({}, 401),
        "not bearer": ({"Authorization": "Basic Ymx1ZTpibHVl"}, 401),
        "garbage": (auth("not.a.jwt"), 401),
        "expired": (auth(token(now=past, ttl=60)), 401),
        "forged": (auth(token(key=other_key)), 401),
        "wrong issuer": (auth(token(issuer="someone-else")), 401),
        "wrong audience": (auth(token(audience="other-service")), 401),
        "feed scope": (auth(token(scopes=("feed",))), 403),
        "admin scope": (auth(token(scopes=("admin",))), None),  # read yes, write no
        "duty scope": (auth(token(scopes=("duty",))), 0),
    }


def test_authorization_matrix(client: TestClient, token: Token, clock: ManualClock) -> None:
    body_n = notice_body(clock)
    body_z = {"role": "protected", "volumes": body_n["volumes"]}
    failures = []
    for name, (headers, expect) in _credentials(token).items():
        for method, url, kind in ENDPOINTS:
            body = body_z if "zones" in url else body_n
            r = client.request(method, url, headers=headers,
                               json=body if method == "PUT" else None)
            if expect is None:
                want: tuple[int, ...] = (403,) if kind == "write" else (200, 404)
            elif expect == 0:
                want = (200, 201, 404)
            else:
                want = (expect,)
            if r.status_code not in want:
                failures.append(f"{name} {method} {url}: {r.status_code} {r.text[:120]}")
            if r.status_code in (401, 403):
                assert r.headers["content-type"].startswith("application/problem+json")
            if r.status_code == 401:
                assert r.headers["www-authenticate"].startswith("Bearer")
    assert not failures, "\n".join(failures)


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/_docs-static/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    js = client.get("/_docs-static/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    assert client.get("/openapi.json").json()["info"]["title"] == "Hotline"


def test_health_and_keys(client: TestClient) -> None:
    assert client.get("/healthz").json() == {
        "status": "ok", "engine": "sqlite",
        "durability": {"journal_mode": "wal", "synchronous": "2"}}  # 2: FULL
    rsa_jwk, audit_jwk = client.get("/v1/keys").json()["keys"]
    assert rsa_jwk["kty"] == "RSA" and rsa_jwk["alg"] == "RS256"
    assert audit_jwk["kty"] == "OKP" and audit_jwk["crv"] == "Ed25519"
    assert audit_jwk["alg"] == "EdDSA" and "d" not in audit_jwk
