"""``hotline feed``: send a party's tracks to a Hotline service.

``hotline feed sbs --host H --port 30003 --party blue --url URL --token TOKEN`` connects to an
SBS-1/BaseStation port-30003 source (dump1090, readsb...), merges position and velocity lines
per aircraft and posts the reports to ``URL/v1/tracks`` every second; bad lines are counted
and logged, never fatal; a lost source or service is retried. Runs until interrupted, then
prints its counts. ``hotline feed file PATH`` posts one file (``.csv``: the columns of
``hotline probe``; ``.json``: an OpenSky ``states`` answer; anything else: SBS lines) and
prints the service's answer. The token (scope ``hotline:feed``) may come from
``HOTLINE_FEED_TOKEN`` instead of ``--token``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from hotline.adapters.sbs_feed import SbsFeed


def register(verbs: Any) -> None:
    p = verbs.add_parser("feed", help="send tracks (SBS TCP source or a file) to the service")
    kinds = p.add_subparsers(dest="feed_kind", required=True, metavar="SOURCE")
    sbs = kinds.add_parser("sbs", help="connect to an SBS-1 port-30003 source and post")
    sbs.add_argument("--host", default="127.0.0.1", help="SBS source host")
    sbs.add_argument("--port", type=int, default=30003, help="SBS source port (30003)")
    sbs.add_argument("--party", required=True, help="the party these aircraft belong to")
    sbs.add_argument("--flush-s", type=float, default=1.0, help="post at least this often")
    sbs.add_argument("--utc-offset-s", type=float, default=0.0,
                     help="the source writes local time this far ahead of UTC")
    sbs.set_defaults(run=run_sbs)
    file = kinds.add_parser("file", help="post one CSV, OpenSky JSON or SBS file")
    file.add_argument("path", type=Path)
    file.set_defaults(run=run_file)
    for sub in (sbs, file):
        sub.add_argument("--url", default="http://127.0.0.1:8000",
                         help="the Hotline service (default http://127.0.0.1:8000)")
        sub.add_argument("--token", default=os.environ.get("HOTLINE_FEED_TOKEN", ""),
                         help="a feed token (scope hotline:feed); or HOTLINE_FEED_TOKEN")


def _client(args: argparse.Namespace) -> httpx.Client:
    if not args.token:
        raise SystemExit("hotline feed: no token: pass --token or set HOTLINE_FEED_TOKEN "
                         "(mint one with 'hotline token --party NAME --scope feed')")
    return httpx.Client(base_url=args.url.rstrip("/"), timeout=10.0,
                        headers={"Authorization": f"Bearer {args.token}"})


def run_sbs(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    client = _client(args)

    def post(items: list[dict[str, Any]]) -> None:
        r = client.post("/v1/tracks", json={"reports": items})
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:300]}")
        answer = r.json()
        if answer["rejected"]:
            logging.warning("service rejected %d of %d reports, e.g. %s", answer["rejected"],
                            len(items), answer["results"][:1])

    feed = SbsFeed(args.host, args.port, args.party, post, flush_s=args.flush_s,
                   utc_offset_s=args.utc_offset_s)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        feed.run(stop)
    except KeyboardInterrupt:
        stop.set()
        feed.flush()
    print(json.dumps({"sbs": asdict(feed.stats)}), file=sys.stderr)
    return 0


def run_file(args: argparse.Namespace) -> int:
    suffix = args.path.suffix.lower()
    kind = {".csv": "text/csv", ".json": "application/json"}.get(suffix, "text/plain")
    try:
        body = args.path.read_bytes()
    except OSError as exc:
        print(f"hotline feed: {exc}", file=sys.stderr)
        return 2
    with _client(args) as client:
        r = client.post("/v1/tracks", content=body, headers={"Content-Type": kind})
    print(r.text)
    return 0 if r.status_code == 200 else 1
