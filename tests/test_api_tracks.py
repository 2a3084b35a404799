"""``/v1/tracks`` through ``create_app()`` on a real SQLite store: the four body formats, the
per-report answer, bad input, the authorization matrix (party x role), need to know."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from builders import rfc
from hotline.adapters.clock import ManualClock
from hotline.adapters.tokens import load_or_create_issuer_key, mint
from hotline.api import create_app
from hotline.settings import Settings

Token = Callable[..., str]
DATA = Path(__file__).parent / "data"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, db=f"sqlite:///{tmp_path / 'h.db'}",
                    track_share_pairs=["blue,civil"])


@pytest.fixture
def client(settings: Settings, clock: ManualClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock)) as c:
        yield c


@pytest.fixture
def token(settings: Settings) -> Token:
    key = load_or_create_issuer_key(settings.data_dir)

    def make(party: str = "blue", scopes: tuple[str, ...] = ("feed",)) -> str:
        return mint(key, party=party, officer=f"{party}-x", scopes=list(scopes),
                    issuer=settings.jwt_issuer, audience=settings.jwt_audience, ttl_s=3600)

    return make


def auth(tok: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}", **extra}


def item(clock: ManualClock, id: str = "B1", **over: Any) -> dict[str, Any]:
    return {"id": id, "time": rfc(clock.now()), "lat": 35.0, "lon": 37.0, "alt_ft": 25000,
            "alt_ref": "PRESSURE", "gs_kt": 450, "trk_deg": 90, "vs_fpm": 0, **over}


def test_post_json_batch_and_read_back(client: TestClient, token: Token,
                                       clock: ManualClock) -> None:
    feed = auth(token("blue"))
    body = {"reports": [item(clock), item(clock, "B2", lat=35.1, callsign="VIPER1"),
                        item(clock, "B3", lat=95.0),
                        item(clock, "B4", time=rfc(clock.now() + timedelta(minutes=5))),
                        {"id": "B5"}, "not an object"]}
    r = client.post("/v1/tracks", json=body, headers=feed)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["accepted"], got["out_of_order"], got["rejected"]) == (2, 0, 4)
    reasons = {x["where"]: x for x in got["results"]}
    assert "lat 95.0 is out of range" in reasons["reports[2]"]["reason"]
    assert "ahead of the server clock" in reasons["reports[3]"]["reason"]
    assert "no time" in reasons["reports[4]"]["reason"]
    assert reasons["reports[5]"]["reason"] == "a report is a JSON object"
    assert all(x["status"] == "rejected" for x in got["results"])
    # the same report again is out of order (not newer), and says so
    again = client.post("/v1/tracks", json={"reports": [item(clock)]}, headers=feed).json()
    assert again["out_of_order"] == 1 and again["results"][0]["status"] == "out_of_order"
    clock.advance(2)
    r = client.get("/v1/tracks?trail=5", headers=auth(token("blue", ("duty",))))
    assert r.status_code == 200
    tracks = {t["id"]: t for t in r.json()["tracks"]}
    assert set(tracks) == {"B1", "B2"}
    b2 = tracks["B2"]
    assert b2["callsign"] == "VIPER1" and b2["alt_ref"] == "PRESSURE" and b2["why"] == "own"
    assert b2["alt_m"] == pytest.approx(25000 * 0.3048)
    assert b2["gs_mps"] == pytest.approx(450 * 1852 / 3600) and b2["age_s"] == 2.0
    assert len(b2["trail"]) == 1 and b2["trail"][0]["lat"] == 35.1
    assert r.json()["stale_after_s"] == 60.0


def test_post_csv_sbs_and_opensky_bodies(client: TestClient, token: Token,
                                         clock: ManualClock) -> None:
    feed = auth(token("blue"), **{"Content-Type": "text/plain"})
    sbs = (DATA / "sbs_sample.txt").read_bytes()
    clock.set(clock.now().replace(second=10))
    got = client.post("/v1/tracks", content=sbs, headers=feed).json()
    assert (got["accepted"], got["rejected"]) == (4, 8)
    assert {x["where"] for x in got["results"]} >= {"line 11", "line 13"}
    csv_text = ("id,time_s,lat,lon,alt_m,gs_mps,trk_deg\n"
                f"C1,{clock.now().timestamp()},35,37,1000,100,0\nC2,x,35,37,1000,100,0\n")
    got = client.post("/v1/tracks", content=csv_text,
                      headers=auth(token("blue"), **{"Content-Type": "text/csv"})).json()
    assert (got["accepted"], got["rejected"]) == (1, 1)
    r = client.post("/v1/tracks", content=csv_text.replace("time_s,", "time_s,party,").replace(
        "0,35", "0,red,35").replace("x,35", "x,red,35"),
        headers=auth(token("blue"), **{"Content-Type": "text/csv"}))
    assert r.status_code == 403
    sky = {"time": int(clock.now().timestamp()),
           "states": [["abc123", "SWR1", "CH", int(clock.now().timestamp()), 0, 8.5, 47.4,
                       3000.0, False, 150.0, 10.0, 0.0, None, 3050.0, None, False, 0]]}
    got = client.post("/v1/tracks", json=sky, headers=auth(token("blue"))).json()
    assert got["accepted"] == 1


@pytest.mark.parametrize(("body", "status", "says"), [
    (b"{", 400, "not JSON"),
    (b'{"reports": 3}', 400, "no 'reports' list"),
    (b"[1, 2]", 400, "no 'reports' list"),
    (b'{"reports": [{"id": "R1", "party": "red"}]}', 403, "not red"),
])
def test_bad_bodies(client: TestClient, token: Token, body: bytes, status: int,
                    says: str) -> None:
    r = client.post("/v1/tracks", content=body,
                    headers=auth(token("blue"), **{"Content-Type": "application/json"}))
    assert r.status_code == status and says in r.json()["detail"], r.text
    assert client.get("/v1/tracks", headers=auth(token("blue", ("duty",)))).json()[
        "tracks"] == []


@pytest.mark.parametrize("party", ["blue", "red"])
@pytest.mark.parametrize(("scopes", "post", "get"), [
    (("feed",), 200, 403), (("duty",), 403, 200), (("admin",), 403, 200), ((), 403, 403),
    (("duty", "feed"), 200, 200)])
def test_authorization_matrix(client: TestClient, token: Token, clock: ManualClock,
                              party: str, scopes: tuple[str, ...], post: int,
                              get: int) -> None:
    headers = auth(token(party, scopes))
    assert client.post("/v1/tracks", json={"reports": [item(clock)]},
                       headers=headers).status_code == post
    assert client.get("/v1/tracks", headers=headers).status_code == get
    assert client.post("/v1/tracks", json={"reports": []}).status_code == 401
    assert client.get("/v1/tracks").status_code == 401
    assert client.get("/v1/tracks", headers={"Authorization": "Bearer x.y.z"}).status_code == 401


def test_need_to_know_through_the_api(client: TestClient, token: Token,
                                      clock: ManualClock) -> None:
    for party, id_, lat in [("blue", "B1", 35.0), ("red", "NEAR", 35.2), ("red", "FAR", 40.0),
                            ("civil", "C1", 10.0)]:
        r = client.post("/v1/tracks", json={"reports": [item(clock, id_, lat=lat)]},
                        headers=auth(token(party)))
        assert r.json()["accepted"] == 1
    seen = {(t["party"], t["id"], t["why"]) for t in client.get(
        "/v1/tracks", headers=auth(token("blue", ("duty",)))).json()["tracks"]}
    assert seen == {("blue", "B1", "own"), ("red", "NEAR", "near"), ("civil", "C1", "shared")}
    red = client.get("/v1/tracks?party=red", headers=auth(token("red", ("duty",)))).json()
    assert {t["id"] for t in red["tracks"]} == {"NEAR", "FAR"}
    civil = client.get("/v1/tracks", headers=auth(token("civil", ("duty",)))).json()
    assert {t["id"] for t in civil["tracks"]} == {"C1", "B1"}
    clock.advance(61)  # everything ages out
    assert client.get("/v1/tracks", headers=auth(token("blue", ("duty",)))).json()[
        "tracks"] == []
