"""Tracks in the console, fed through the real ``POST /v1/tracks``: a track seen moving (its
drawn position follows the reports) and gone when replaying a time before it existed; an
encounter between two parties' aircraft arriving as an alert and drawn as a line between
them; and, at 1,000 live tracks updated every second, no main-thread task over 50 ms in
steady state (a ``PerformanceObserver('longtask')`` in the page). Figures are printed."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from browser.scene import file_scene
from browser.served import Server, screenshot
from browser.test_console import open_console

pytestmark = pytest.mark.browser

N = 1000
LONG_TASK_MS = 50.0
STEADY_S = 8.0


def rfc(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def fleet(n: int, t: float, party: str = "blue") -> list[dict[str, Any]]:
    """``n`` aircraft on a grid south-west of 35N 37E, each flying a slow circle (so trails
    curve and every report moves every aircraft), at time ``t`` (epoch seconds)."""
    side = math.ceil(math.sqrt(n))
    out = []
    for k in range(n):
        lat0 = 34.0 + 0.04 * (k // side)
        lon0 = 35.5 + 0.04 * (k % side)
        w = 2 * math.pi / 600  # one turn in ten minutes
        a = w * t + k
        out.append({"id": f"{party}{k:04d}", "callsign": f"{party.upper()[:3]}{k}",
                    "time": rfc(t), "lat": lat0 + 0.02 * math.sin(a),
                    "lon": lon0 + 0.02 * math.cos(a), "alt_m": 6000.0 + k,
                    "gs_mps": 0.02 * 111320 * w, "trk_deg": math.degrees(-a) % 360,
                    "vs_mps": 0.0})
    return out


def head_on(aircraft: str, lon0: float, trk: float, t: float, t0: float) -> dict[str, Any]:
    """An aircraft at 35N flying east (trk 90) or west (270) at 200 m/s from ``lon0``."""
    east = 1 if trk == 90 else -1
    lon = lon0 + east * 200 * (t - t0) / (111320 * math.cos(math.radians(35)))
    return {"id": aircraft, "callsign": aircraft, "lat": 35.0, "lon": lon, "alt_m": 6000.0,
            "gs_mps": 200.0, "trk_deg": trk, "vs_mps": 0.0, "time": rfc(t)}


class Feeder(threading.Thread):
    """Posts every aircraft's report once a second until stopped (a party's track feed)."""

    def __init__(self, server: Server, n: int) -> None:
        super().__init__(daemon=True)
        self.client = server.client("blue", "feed")
        self.n = n
        self.stop_at = threading.Event()
        self.posted = 0
        self.failure: str | None = None

    def run(self) -> None:
        while not self.stop_at.is_set():
            started = time.monotonic()
            try:
                r = self.client.post("/v1/tracks", json={"reports": fleet(self.n, time.time())})
                if r.status_code != 200:
                    self.failure = r.text
                    return
                self.posted += 1
            except httpx.HTTPError as exc:
                self.failure = repr(exc)
                return
            self.stop_at.wait(max(0.0, 1.0 - (time.monotonic() - started)))


def drawn_position(page: Any, track: str) -> list[float]:
    where: list[float] = page.evaluate("id => window.hotline.layer.stats.sample[id]", track)
    return where


def test_a_track_moves_and_replays(browser: Any, server: Server, contexts: list[Any]) -> None:
    file_scene(server.client("blue"), server.client("red"))
    feed = server.client("blue", "feed")
    page = open_console(browser, server, "blue", contexts)
    t0 = time.time()
    assert feed.post("/v1/tracks", json={"reports": fleet(3, t0 - 20)}).status_code == 200
    page.wait_for_function("window.hotline.layer.stats.size === 3"
                           " && window.hotline.layer.stats.drawn === 3")
    first = drawn_position(page, "blue0000")
    assert feed.post("/v1/tracks", json={"reports": fleet(3, t0)}).status_code == 200
    page.wait_for_function(
        "(t) => window.hotline.layer.stats.sample['blue0000'][2] > t", arg=first[2])
    moved = drawn_position(page, "blue0000")
    assert moved[:2] != first[:2]
    assert "3 tracks" in page.inner_text("#track-count")
    # replay: ten minutes ago none of them existed; back to live, all three again
    page.evaluate("""() => { const s = document.querySelector('#slider');
                             s.value = '-600'; s.dispatchEvent(new Event('input')); }""")
    page.wait_for_function("window.hotline.layer.stats.drawn === 0")
    assert "min" in page.inner_text("#replay-time")
    page.click("#live")
    page.wait_for_function("window.hotline.layer.stats.drawn === 3")


def test_an_encounter_arrives_and_is_drawn(browser: Any, server: Server,
                                           contexts: list[Any]) -> None:
    file_scene(server.client("blue"), server.client("red"))
    page = open_console(browser, server, "blue", contexts)
    blue, red = server.client("blue", "feed"), server.client("red", "feed")
    t0 = time.time()
    for t in (t0 - 2, t0):
        assert blue.post("/v1/tracks", json={"reports": [
            head_on("VIPER1", 36.9, 90, t, t0 - 2)]}).status_code == 200
        assert red.post("/v1/tracks", json={"reports": [
            head_on("FALCON2", 37.1, 270, t, t0 - 2)]}).status_code == 200
    row = page.locator("#alerts li", has_text="encounter")
    row.wait_for(timeout=15000)
    assert "VIPER1" in row.inner_text() and "FALCON2" in row.inner_text()
    page.wait_for_function("window.hotline.layer.stats.encounters === 1")
    assert page.evaluate("window.hotline.layer.stats.drawn") == 2
    page.evaluate("() => { window.hotline.map.setView([35.0, 37.05], 9, {animate: false}); }")
    page.wait_for_timeout(1200)
    screenshot(page, "console-encounter.png")


def test_a_thousand_live_tracks_stay_responsive(browser: Any, server: Server,
                                                contexts: list[Any]) -> None:
    file_scene(server.client("blue"), server.client("red"))
    page = open_console(browser, server, "blue", contexts)
    feeder = Feeder(server, N)
    feeder.start()
    try:
        page.wait_for_function(f"window.hotline.layer.stats.size === {N}", timeout=30000)
        page.wait_for_function(f"window.hotline.layer.stats.drawn === {N}", timeout=10000)
        # steady state: observe long tasks (and the layer's draw time) for STEADY_S seconds
        page.evaluate("""() => {
            window.__long = []; window.__draws = [];
            new PerformanceObserver((list) => {
                for (const e of list.getEntries()) window.__long.push(e.duration);
            }).observe({ type: "longtask" });
            const layer = window.hotline.layer, drew = layer.drew.bind(layer);
            layer.drew = (stats) => { drew(stats); window.__draws.push(stats.ms); };
        }""")
        posted = feeder.posted
        page.wait_for_timeout(STEADY_S * 1000)
        longs: list[float] = page.evaluate("window.__long")
        draws: list[float] = page.evaluate("window.__draws")
        assert feeder.failure is None, feeder.failure
        assert feeder.posted - posted >= STEADY_S / 2, "the feed did not keep up"
        print(f"{N} tracks, {STEADY_S:.0f} s steady state: {len(draws)} draws (worker), "
              f"draw ms median {sorted(draws)[len(draws) // 2]:.1f} max {max(draws):.1f}; "
              f"main-thread long tasks {len(longs)} max {max(longs, default=0):.1f} ms")
        assert len(draws) >= STEADY_S, "the layer did not redraw as updates arrived"
        assert max(longs, default=0.0) <= LONG_TASK_MS, longs
        screenshot(page, "console-1000-tracks.png")
    finally:
        feeder.stop_at.set()
        feeder.join(10)
