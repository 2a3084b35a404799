"""``hotline`` entry point: dispatches to one module per verb (serve, token, demo, audit,
receipt, report)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hotline import __version__
from hotline.cli import alerting, audit, demo, feed, probe, receipt, report, serve, token


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotline",
        description="Deconfliction hotline for parties that share airspace but not a command.",
    )
    parser.add_argument("--version", action="version", version=f"hotline {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for module in (serve, token, demo, audit, receipt, probe, report, alerting, feed):
        module.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
