"""``hotline report --from T1 --to T2 (--party P | --token JWT) [--area ...]``: incident report.

Reads the database of ``--data-dir`` (or ``HOTLINE_DB``) through the service's own use cases,
as the party named by ``--party`` or by a valid ``--token`` (its ``party`` claim), so the report
holds what that party is entitled to see (:mod:`hotline.reporting.collect`). Writes
``--out`` (HTML, default ``report-<party>.html``) and, when a headless Chromium is installed,
the same as PDF next to it (``--no-pdf``: never). Prints the paths and the audit verdict;
exits 0 when the party's audit records verified, 1 when not, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hotline.domain.errors import HotlineError
from hotline.domain.time import parse_rfc3339


def register(verbs: Any) -> None:
    p = verbs.add_parser("report", help="write an incident report (HTML, PDF) for one party")
    p.add_argument("--from", dest="start", required=True,
                   help="RFC 3339, e.g. 2031-05-14T06:00:00Z")
    p.add_argument("--to", dest="end", required=True, help="RFC 3339")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--party", help="report as this party (operator access to the database)")
    who.add_argument("--token", help="report as the party of this bearer token (validated)")
    p.add_argument("--area", default=None, help="MIN_LAT,MIN_LON,MAX_LAT,MAX_LON")
    p.add_argument("--data-dir", dest="data_dir", default=None,
                   help="data directory (default: HOTLINE_DATA_DIR or ./.hotline)")
    p.add_argument("--out", type=Path, default=None, help="HTML file to write")
    p.add_argument("--no-pdf", dest="pdf", action="store_false", help="never write a PDF")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hotline.api import create_app
    from hotline.reporting.collect import Area, Desks, collect
    from hotline.reporting.render import to_html, to_pdf
    from hotline.settings import Settings

    try:
        start, end = parse_rfc3339(args.start, "--from"), parse_rfc3339(args.end, "--to")
        area = Area.parse(args.area) if args.area else None
        settings = Settings(data_dir=Path(args.data_dir)) if args.data_dir else Settings()
        if not Path(settings.db_url.removeprefix("sqlite:///")).exists() \
                and settings.db_url.startswith("sqlite:///"):
            print(f"hotline report: no database at {settings.db_url} (give --data-dir)",
                  file=sys.stderr)
            return 2
        app = create_app(settings)
        party = args.party or app.state.validator.validate(args.token).party
        state = app.state
        try:
            data = collect(Desks(state.service, state.alerts, state.messages, state.events,
                                 state.audit), party, start, end, area)
        finally:
            state.store.close()
    except HotlineError as exc:
        print(f"hotline report: {exc.message}", file=sys.stderr)
        return 2
    out: Path = args.out or Path(f"report-{party}.html")
    out.write_text(to_html(data), encoding="utf-8")
    print(f"report: {out}")
    if args.pdf:
        pdf = out.with_suffix(".pdf")
        why = to_pdf(out, pdf)
        print(f"report: {pdf}" if why is None else f"report: no PDF: {why}")
    verdict = "verified" if data.audit.get("verified") else "FAILED"
    print(f"{len(data.alerts)} alerts, {len(data.messages)} messages, "
          f"{len(data.declarations)} declarations, {len(data.tracks)} tracks; audit {verdict}: "
          f"{data.audit.get('method')}")
    return 0 if data.audit.get("verified") else 1
