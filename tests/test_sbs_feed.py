"""The SBS TCP feed over real sockets into the API (create_app, real SQLite): lines split
across packets, bad lines counted and skipped, a dropped source reconnected, a failing
service retried, and the CLI against a real uvicorn server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hotline.adapters.clock import ManualClock
from hotline.adapters.sbs_feed import SbsFeed
from hotline.adapters.tokens import load_or_create_issuer_key, mint
from hotline.api import create_app
from hotline.settings import Settings

NOW = datetime(2026, 11, 24, 12, 0, 10, tzinfo=UTC)
GOOD = [
    "MSG,4,1,1,4CA2D6,1,2026/11/24,12:00:00.100,2026/11/24,12:00:00.100,,,420,90.0,,,-1024,,,,,0",
    "MSG,3,1,1,4CA2D6,1,2026/11/24,12:00:00.500,2026/11/24,12:00:00.500,,37000,,,47.12,8.54,,,0,0,0,0",
]
LATER = [
    "MSG,3,1,1,4CA2D6,1,2026/11/24,12:00:05.500,2026/11/24,12:00:05.500,,37000,,,47.12,8.60,,,0,0,0,0",
    "MSG,4,1,1,3C6444,1,2026/11/24,12:00:05.600,,,,,300,180,,,0,,,,,0",
    "MSG,3,1,1,3C6444,1,2026/11/24,12:00:05.700,,,,12000,,,47.0,8.0,,,0,0,0,0",
]


class Source:
    """A port-30003 server: each connection gets the next script of chunks, then is closed."""

    def __init__(self, scripts: list[list[bytes]]) -> None:
        self.scripts = scripts
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.served = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for script in self.scripts:
            conn, _ = self.sock.accept()
            with conn:
                for chunk in script:
                    conn.sendall(chunk)
                    time.sleep(0.05)
            self.served += 1

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    settings = Settings(data_dir=tmp_path, db=f"sqlite:///{tmp_path / 'h.db'}")
    with TestClient(create_app(settings, clock=ManualClock(NOW))) as client:
        yield client, settings


def token(settings: Settings, party: str, scope: str) -> str:
    return mint(load_or_create_issuer_key(settings.data_dir), party=party, officer="x",
                scopes=[scope], issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                ttl_s=600)


def run_until(feed: SbsFeed, done: Any, timeout: float = 10.0) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=feed.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(10)
    assert done(), feed.stats


def test_feed_over_tcp_with_split_lines_bad_lines_and_reconnect(
        app_client: tuple[TestClient, Settings]) -> None:
    client, settings = app_client
    feed_auth = {"Authorization": f"Bearer {token(settings, 'blue', 'feed')}"}
    answers: list[dict[str, Any]] = []

    def post(items: list[dict[str, Any]]) -> None:
        r = client.post("/v1/tracks", json={"reports": items}, headers=feed_auth)
        assert r.status_code == 200, r.text
        answers.append(r.json())

    first = "\n".join(GOOD).encode() + b"\nMSG,3,1,1,NOTHEX,1,,,,,,1,,,1,1,,,0,0,0,0\n\x00\xff\n"
    source = Source([
        [first[:37], first[37:120], first[120:]],  # lines split across packets
        ["\r\n".join(LATER).encode() + b"\r\n"],  # second connection, CRLF line ends
    ])
    feed = SbsFeed("127.0.0.1", source.port, "blue", post, flush_s=0.1, reconnect_s=0.1)
    run_until(feed, lambda: feed.stats.posted >= 3)
    source.close()
    assert feed.stats.connects == 2 and feed.stats.rejected == 2
    assert feed.stats.reports == 3 and feed.stats.posted == 3
    assert sum(a["accepted"] for a in answers) == 3
    duty = {"Authorization": f"Bearer {token(settings, 'blue', 'duty')}"}
    tracks = {t["id"]: t for t in client.get("/v1/tracks?trail=5", headers=duty).json()[
        "tracks"]}
    assert set(tracks) == {"4CA2D6", "3C6444"}
    assert [p["lon"] for p in tracks["4CA2D6"]["trail"]] == [8.54, 8.60]
    assert tracks["4CA2D6"]["alt_ref"] == "PRESSURE" and tracks["4CA2D6"]["source"] == "api"


def test_feed_keeps_reports_while_the_service_fails() -> None:
    calls: list[int] = []

    def post(items: list[dict[str, Any]]) -> None:
        calls.append(len(items))
        if len(calls) == 1:
            raise ConnectionError("service down")

    source = Source([["\n".join(GOOD).encode() + b"\n"]])
    feed = SbsFeed("127.0.0.1", source.port, "blue", post, flush_s=0.1, reconnect_s=0.1)
    run_until(feed, lambda: feed.stats.posted == 1)
    source.close()
    assert feed.stats.post_failures == 1 and calls[:2] == [1, 1]


def test_feed_survives_an_absent_source() -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    feed = SbsFeed("127.0.0.1", port, "blue", lambda items: None, reconnect_s=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=feed.run, args=(stop,), daemon=True)
    thread.start()
    time.sleep(0.3)
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and feed.stats.connects == 0


def test_cli_feed_sbs_and_file_against_a_served_hotline(tmp_path: Path) -> None:
    """``hotline serve`` and ``hotline feed sbs`` as subprocesses, a TCP source in between."""
    import os
    import signal
    import subprocess
    import sys

    import httpx

    from hotline.adapters.storage.pgserver import free_port

    cmd = [sys.executable, "-m", "hotline.cli.main"]
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    server = subprocess.Popen([*cmd, "serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)

        def tok(scope: str) -> str:
            done = subprocess.run([*cmd, "token", "--party", "blue", "--scope", scope], env=env,
                                  cwd=tmp_path, capture_output=True, text=True, check=True)
            return done.stdout.strip().splitlines()[-1]

        # without date and time, lines are dated by the feed's clock (the service's is real)
        lines = [",".join([*ln.split(",")[:6], "", "", "", "", *ln.split(",")[10:]])
                 for ln in GOOD]
        source = Source([["\n".join(lines).encode() + b"\nMSG,3,broken\n"]])
        feeder = subprocess.Popen(
            [*cmd, "feed", "sbs", "--port", str(source.port), "--party", "blue", "--url", base,
             "--flush-s", "0.2"], env={**env, "HOTLINE_FEED_TOKEN": tok("feed")}, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        duty = {"Authorization": f"Bearer {tok('duty')}"}
        seen: list[Any] = []
        for _ in range(100):
            seen = httpx.get(f"{base}/v1/tracks", headers=duty).json()["tracks"]
            if seen:
                break
            time.sleep(0.1)
        feeder.send_signal(signal.SIGTERM)
        _, err = feeder.communicate(timeout=20)
        source.close()
        assert [t["id"] for t in seen] == ["4CA2D6"], err
        assert '"rejected": 1' in err and '"posted": 1' in err
        csv_path = tmp_path / "t.csv"
        csv_path.write_text(f"id,time_s,lat,lon,alt_m,gs_mps,trk_deg\nC1,{time.time()},35,37,"
                            "1000,100,0\nC2,1,35,37,1000,100,0\n")
        done = subprocess.run([*cmd, "feed", "file", str(csv_path), "--url", base, "--token",
                               tok("feed")], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0 and '"accepted":1' in done.stdout.replace(" ", "")
    finally:
        server.terminate()
        server.wait(20)
