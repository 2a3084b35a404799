"""``hotline demo``: the whole product on the embedded default, playing a scenario.

Starts the service on a fresh SQLite database under ``--data-dir`` on a simulated clock
(receipts made under it carry ``"clock": "simulated"``; tokens still expire by the wall
clock), plays the scenario (default: the packaged Kestrel Basin, ``--scenario FILE`` for
another; format in docs/SCENARIOS.md) through the HTTP API at ``--speed`` times real time
(0: as fast as possible) while showing the alert log live, then checks the scenario's expected
facts. Interactive: keeps serving (the simulated clock then runs at real speed) and prints the
console URL and a ready token per party. ``--headless``: prints the log and a summary, writes
``<data-dir>/demo-summary.json`` and exits 0 if every checked fact holds, 1 if one is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import deque
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from hotline.adapters.clock import SimulatedClock
from hotline.adapters.tokens import load_or_create_issuer_key, mint
from hotline.domain.errors import HotlineError
from hotline.domain.time import format_rfc3339, parse_rfc3339
from hotline.scenario.driver import LogLine, Outcome, Player
from hotline.scenario.facts import MISSING, OK, FactResult, check
from hotline.scenario.model import Scenario, load_scenario
from hotline.settings import Settings

#: The officer of the operator's admin token (audit verification).
OPERATOR = "operator"


def default_scenario() -> Path:
    return Path(str(resources.files("hotline.scenario") / "data" / "kestrel.toml"))


def register(verbs: Any) -> None:
    p = verbs.add_parser("demo", help="serve a fresh database and play a scenario on it")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", dest="data_dir", default=".hotline/demo")
    p.add_argument("--scenario", type=Path, default=None,
                   help="scenario file (TOML, docs/SCENARIOS.md); default: Kestrel Basin")
    p.add_argument("--speed", type=float, default=None,
                   help="simulated seconds per real second (0: as fast as possible; "
                   "default 10, headless 0)")
    p.add_argument("--start", default=None,
                   help="simulated start instant (RFC 3339); default: the scenario's, else "
                   "the next whole minute")
    p.add_argument("--headless", action="store_true",
                   help="play to the end, print a summary and exit (0: all facts hold)")
    p.add_argument("--check", action="store_true", help=argparse.SUPPRESS)  # old name
    p.set_defaults(run=run)


def _tokens(settings: Settings, parties: list[str], scopes: list[str]) -> dict[str, str]:
    key = load_or_create_issuer_key(settings.data_dir)
    return {p: mint(key, party=p, officer=f"{p}-duty" if scopes == ["duty"] else f"{p}-feed",
                    scopes=scopes, issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                    ttl_s=settings.token_ttl_s) for p in parties}


class _Log:
    """The alert log: printed line by line (headless) or shown live with rich."""

    STYLE: ClassVar[dict[str, str]] = {
        "urgent": "bold red", "warning": "yellow", "escalation": "bold magenta",
        "unacknowledged": "bold magenta"}

    def __init__(self, clock: SimulatedClock, name: str, live: bool) -> None:
        self.clock = clock
        self.name = name
        self.lines: deque[LogLine] = deque(maxlen=24)
        self.live = live

    def __call__(self, line: LogLine) -> None:
        if self.live:
            self.lines.append(line)
        else:
            print(self.format(line), flush=True)

    @staticmethod
    def format(line: LogLine) -> str:
        return (f"T+{_hms(line.t_s)} {format_rfc3339(line.at)}  {line.party:<6} "
                f"{line.kind:<14} {line.severity:<8} {line.text}")

    def __rich__(self) -> Any:
        from rich.panel import Panel
        from rich.table import Table

        table = Table(expand=True, box=None, pad_edge=False)
        for col in ("T+", "party", "what", "severity", ""):
            table.add_column(col, no_wrap=col != "")
        for ln in self.lines:
            style = self.STYLE.get(ln.kind, self.STYLE.get(ln.severity, ""))
            table.add_row(_hms(ln.t_s), ln.party, ln.kind, ln.severity, ln.text, style=style)
        now = self.clock.now()
        return Panel(table, title=f"Hotline demo: {self.name}",
                     subtitle=f"simulated clock {format_rfc3339(now.replace(microsecond=0))}")


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def summary_json(sc: Scenario, out: Outcome, facts: list[FactResult]) -> dict[str, Any]:
    return {"scenario": sc.name, "start": format_rfc3339(out.start),
            "end": format_rfc3339(out.end), "clock": "simulated",
            "features": sorted(out.features), "track_reports": out.track_reports,
            "alerts": {p: len(v) for p, v in out.alerts.items()},
            "messages": sum(len(v) for v in out.outbox.values()),
            "audit": out.audit_verify, "facts": [f.json() for f in facts],
            "sample_receipt": next((a["ack"]["receipt"] for v in out.alerts.values()
                                    for a in v if a.get("ack")), None)}


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from hotline.adapters.threaded_server import ThreadedServer
    from hotline.api import create_app

    headless = args.headless or args.check
    speed = args.speed if args.speed is not None else (0.0 if headless else 10.0)
    if speed < 0:
        print("hotline demo: --speed must be >= 0 (0: as fast as possible)", file=sys.stderr)
        return 2
    try:
        sc = load_scenario(args.scenario or default_scenario())
        start = (parse_rfc3339(args.start, "--start") if args.start else sc.start
                 or datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1))
    except HotlineError as exc:
        print(f"hotline demo: {exc.message}", file=sys.stderr)
        return 2

    data_dir = Path(args.data_dir)
    for suffix in ("", "-wal", "-shm"):  # a fresh database (keys are kept)
        (data_dir / f"hotline.db{suffix}").unlink(missing_ok=True)
    settings = Settings(data_dir=data_dir, db=f"sqlite:///{data_dir / 'hotline.db'}",
                        host=args.host, port=args.port, escalation_poll_s=0.05)
    clock = SimulatedClock(start)
    app = create_app(settings, clock=clock)
    parties = list(sc.parties)
    tokens = _tokens(settings, parties, ["duty"])
    feeds = _tokens(settings, parties, ["feed"])
    admin = _tokens(settings, [OPERATOR], ["admin"])[OPERATOR]
    url = f"http://{args.host}:{args.port}"

    server = ThreadedServer(uvicorn.Config(app, host=args.host, port=args.port,
                                           log_level="warning"))
    try:
        server.start(timeout_s=20)
    except RuntimeError:
        print(f"hotline demo: the service did not start on {url}", file=sys.stderr)
        return 1
    log = _Log(clock, sc.name, live=not headless and sys.stdout.isatty())
    print(f"Playing {sc.name!r} from {format_rfc3339(start)} (simulated) at "
          f"{'full' if speed == 0 else f'{speed:g}x'} speed; service at {url}", flush=True)
    player = Player(sc, url, tokens, admin, clock, start, speed, log, feeds,
                    settle=lambda: _settle(app.state))
    try:
        if log.live:
            from rich.live import Live

            with Live(log, refresh_per_second=4):
                out = player.play()
        else:
            out = player.play()
        facts = check(sc, out)
    except HotlineError as exc:
        print(f"hotline demo: {exc.message}", file=sys.stderr)
        server.stop()
        return 1
    finally:
        player.close()
    summary = summary_json(sc, out, facts)
    (data_dir / "demo-summary.json").write_text(json.dumps(summary, indent=2))
    _print_summary(out, facts)
    print(f"\nIncident report of this run, as one party (try red, then blue):\n  hotline report "
          f"--data-dir {data_dir} --party red --from {format_rfc3339(out.start)} "
          f"--to {format_rfc3339(out.end)}", flush=True)
    missing = [f for f in facts if f.status == MISSING]

    if headless:
        server.stop()
        return 1 if missing else 0

    clock.run(1.0)
    print(f"\nHotline API: {url}/v1   console: {url}/   interactive docs: {url}/docs")
    print("The simulated clock now runs at real speed. Log in to the console with a token:\n")
    for party, tok in tokens.items():
        print(f"{party.upper()}_TOKEN={tok}")
    print(f"\nTry:  curl -H \"Authorization: Bearer $BLUE_TOKEN\" {url}/v1/alerts")
    print("Serving; Ctrl-C to stop.", flush=True)
    try:
        while server.join(0.5):
            pass
    except KeyboardInterrupt:
        server.stop()
    return 0


def _settle(state: Any) -> None:
    """Run the service's own live-detection and escalation rounds now (they also run on their
    own threads): every tick of the play then gets one at its simulated time."""
    watch = getattr(state, "track_watch", None)
    if watch is not None:
        watch.run_once()
    state.escalation.run_once()


def _print_summary(out: Outcome, facts: list[FactResult]) -> None:
    print(f"\nSummary ({format_rfc3339(out.start)} .. {format_rfc3339(out.end)}, simulated):")
    print(f"  alerts per party: {json.dumps({p: len(v) for p, v in out.alerts.items()})}; "
          f"messages: {sum(len(v) for v in out.outbox.values())}; "
          f"track reports: {out.track_reports}")
    for f in facts:
        mark = {OK: "ok     ", MISSING: "MISSING"}.get(f.status, "pending")
        print(f"  [{mark}] {f.fact:<21} {f.detail}")
    n_ok = sum(f.status == OK for f in facts)
    print(f"  {n_ok} of {len(facts)} facts hold"
          + (f"; {sum(f.status == 'pending' for f in facts)} pending a server feature"
             if any(f.status == "pending" for f in facts) else ""), flush=True)
