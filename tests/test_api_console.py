"""The console's static files, served by ``create_app()`` at ``/``: the page, its modules and
the vendored libraries and base map, with a same-origin-only Content-Security-Policy; the API
routes keep precedence; nothing outside ``hotline/web`` is reachable."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from hotline.api.console import WEB_DIR
from test_api_audit import _settings


def _client(tmp_path: Path) -> TestClient:
    from hotline.api import create_app

    return TestClient(create_app(_settings(tmp_path)))


def test_index_and_every_file_it_loads(tmp_path: Path) -> None:
    client = _client(tmp_path)
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert "js/main.js" in refs and "vendor/leaflet/leaflet.js" in refs
    for ref in refs:
        assert not ref.startswith(("http:", "https:", "//")), ref  # nothing from elsewhere
        got = client.get(f"/{ref}")
        assert got.status_code == 200, ref
    # every module the entry point imports, transitively, is there
    seen, todo = set(), ["js/main.js"]
    while todo:
        path = todo.pop()
        seen.add(path)
        text = client.get(f"/{path}").text
        assert "http://" not in text and "https://" not in text, path
        for dep in re.findall(r'(?:from |new URL\()"\./([^"]+)"', text):
            if f"js/{dep}" not in seen:
                todo.append(f"js/{dep}")
    assert {"js/stream.js", "js/tracks.js", "js/alerts.js", "js/messages.js",
            "js/track-worker.js", "js/trackstore.js", "js/reports.js"} <= seen
    atlas = client.get("/vendor/world-atlas/countries-50m.json")
    assert json.loads(atlas.content)["type"] == "Topology"


def test_api_keeps_precedence_and_nothing_else_is_served(tmp_path: Path) -> None:
    client = _client(tmp_path)
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/v1/alerts").status_code == 401  # the API, not a static 404
    assert client.get("/nope.js").status_code == 404
    for probe in ("/../settings.py", "/%2e%2e/settings.py", "/js/../../api/app.py"):
        r = client.get(probe)
        assert r.status_code == 404 or "create_app" not in r.text, probe
    assert (WEB_DIR / "vendor" / "leaflet" / "LICENSE").is_file()
    assert (WEB_DIR / "vendor" / "world-atlas" / "LICENSE").is_file()
    assert (WEB_DIR / "vendor" / "topojson-client" / "LICENSE").is_file()
