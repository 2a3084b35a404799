"""``hotline demo``: a fresh SQLite database with three parties and a few notices, served.

Parties: ``blue`` and ``red`` (two air forces over one country) and ``civil`` (the ANSP).
Times are relative to now, so the demo is always in the future. Prints the API URL and one
ready token per party, then serves until Ctrl-C (``--check`` seeds, probes and exits).
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hotline.adapters.codec import volumes_from_json
from hotline.adapters.tokens import load_or_create_issuer_key, mint
from hotline.domain.notice import NoticeState, ZoneRole
from hotline.service import Actor, HotlineService, NoticeDraft, ZoneDraft
from hotline.settings import Settings

PARTIES = ("blue", "red", "civil")


def _vol(outline: dict[str, Any], lo_ft: float, hi_ft: float, start: datetime,
         hours: float, reference: str = "AMSL") -> dict[str, Any]:
    return {
        "volume": {
            **outline,
            "altitude_lower": {"value": lo_ft, "reference": reference, "units": "FT"},
            "altitude_upper": {"value": hi_ft, "reference": reference, "units": "FT"},
        },
        "time_start": {"value": start.isoformat().replace("+00:00", "Z")},
        "time_end": {"value": (start + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")},
    }


def _poly(*pts: tuple[float, float]) -> dict[str, Any]:
    return {"outline_polygon": {"vertices": [{"lat": a, "lng": b} for a, b in pts]}}


def _circle(lat: float, lng: float, radius_nm: float) -> dict[str, Any]:
    return {"outline_circle": {"center": {"lat": lat, "lng": lng},
                               "radius": {"value": radius_nm, "units": "NM"}}}


def seed(service: HotlineService, now: datetime) -> list[str]:
    """File the demonstration zones and notices; returns one line per filing."""
    lines = []
    h = timedelta(hours=1)

    def zone(party: str, id: str, role: ZoneRole, name: str, vols: list[dict[str, Any]]) -> None:
        r = service.put_zone(Actor(party, f"{party}-duty"), id,
                             ZoneDraft(volumes_from_json(vols), role, name))
        lines.append(f"zone   {party:<5} {id:<22} conflicts={len(r.conflicts)}")

    def notice(party: str, id: str, purpose: str, vols: list[dict[str, Any]],
               priority: int = 50) -> None:
        r = service.put_notice(Actor(party, f"{party}-duty"), id,
                               NoticeDraft(volumes_from_json(vols), NoticeState.ACCEPTED,
                                           priority, purpose))
        late = " LATE" if r.declaration.lead_time.late else ""
        lines.append(f"notice {party:<5} {id:<22} conflicts={len(r.conflicts)}{late}")

    day = now + 24 * h
    zone("red", "red-sam-site-3", ZoneRole.ENGAGEMENT, "SAM site 3 (engagement zone)",
         [_vol(_circle(34.90, 37.20, 15), 0, 45000, now + 2 * h, 24 * 7)])
    zone("blue", "blue-base-alpha", ZoneRole.PROTECTED, "Air base Alpha",
         [_vol(_circle(35.40, 36.00, 5), 0, 10000, now, 24 * 30)])
    zone("civil", "civil-airway-w7", ZoneRole.AIRSPACE, "Airway W7 corridor",
         [_vol(_poly((34.0, 36.4), (34.1, 36.4), (35.9, 38.9), (35.8, 38.9)),
               20000, 36000, now, 24 * 30, reference="PRESSURE")])
    notice("blue", "blue-cap-north", "Combat air patrol, 2 x fighters",
           [_vol(_poly((35.6, 37.0), (35.6, 38.0), (35.1, 38.0), (35.1, 37.0)),
                 20000, 30000, day, 4)])
    notice("red", "red-strike-east", "Strike package transit",
           [_vol(_poly((35.3, 37.6), (35.3, 38.6), (34.8, 38.6), (34.8, 37.6)),
                 15000, 25000, day + 2 * h, 3)])
    notice("civil", "civil-medevac-1", "Medical evacuation helicopter",
           [_vol(_circle(35.0, 36.9, 3), 0, 3000, now + timedelta(minutes=10), 2)],
           priority=90)
    notice("red", "red-ferry-south", "Ferry flight, 4 x transports",
           [_vol(_poly((33.5, 36.5), (33.5, 37.0), (33.2, 37.0), (33.2, 36.5)),
                 10000, 20000, day + 30 * h, 2)])
    return lines


def register(verbs: Any) -> None:
    p = verbs.add_parser("demo", help="serve a fresh demo database with three parties")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", dest="data_dir", default=".hotline/demo")
    p.add_argument("--check", action="store_true", help="seed, probe over HTTP, then exit")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import httpx
    import uvicorn

    from hotline.api import create_app

    data_dir = Path(args.data_dir)
    shutil.rmtree(data_dir / "db", ignore_errors=True)
    settings = Settings(data_dir=data_dir, db=f"sqlite:///{data_dir / 'db' / 'hotline.db'}",
                        host=args.host, port=args.port)
    app = create_app(settings)
    # Whole minutes read better; the next minute keeps everything in the future.
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    lines = seed(app.state.service, now)
    key = load_or_create_issuer_key(data_dir)
    tokens = {
        p: mint(key, party=p, officer=f"{p}-duty", scopes=["duty"], issuer=settings.jwt_issuer,
                audience=settings.jwt_audience, ttl_s=settings.token_ttl_s)
        for p in PARTIES
    }
    url = f"http://{args.host}:{args.port}"
    print("Demonstration data:")
    for line in lines:
        print("  " + line)
    print("\nAlert log (what each party must acknowledge):")
    for party in PARTIES:
        for alert in app.state.alerts.list(Actor(party, f"{party}-duty"), limit=1000):
            print(f"  {party:<5} {alert.severity.upper():<7} {alert.kind:<11} "
                  f"{alert.subject.kind} {alert.subject.id} x {alert.other.kind} "
                  f"{alert.other.id}")
    print(f"\nHotline API: {url}/v1   interactive docs: {url}/docs\n")
    for party, tok in tokens.items():
        print(f"{party.upper()}_TOKEN={tok}")
    print(f"\nTry:  curl -H \"Authorization: Bearer $BLUE_TOKEN\" {url}/v1/notices")

    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")
    server = uvicorn.Server(config)
    if not args.check:
        print("Serving; Ctrl-C to stop.", flush=True)
        server.run()
        return 0
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        r = httpx.get(f"{url}/v1/notices/blue-cap-north",
                      headers={"Authorization": f"Bearer {tokens['red']}"}, timeout=10)
        print(f"check: GET blue-cap-north as red -> {r.status_code}, "
              f"conflicts={len(r.json().get('conflicts', []))}")
        return 0 if r.status_code == 200 else 1
    finally:
        server.should_exit = True
        thread.join(timeout=10)
