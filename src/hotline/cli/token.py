"""``hotline token --party NAME [--officer ID] [--scope S ...]``: mint a dev token.

The token is printed alone on the last line, so ``$(hotline token --party blue | tail -1)``
works. The dev issuer's key is created on first use in the data directory.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hotline.adapters.tokens import SCOPES, load_or_create_issuer_key, mint
from hotline.cli.serve import add_common, settings_from
from hotline.domain.errors import HotlineError


def register(verbs: Any) -> None:
    p = verbs.add_parser("token", help="mint a dev bearer token for a party")
    p.add_argument("--party", required=True, help="the party, e.g. blue")
    p.add_argument("--officer", help="the officer or system (token 'sub'); default NAME-duty")
    p.add_argument(
        "--scope",
        action="append",
        choices=sorted([*SCOPES, *SCOPES.values()]),
        help="role: duty (default), feed or admin; repeat for several",
    )
    p.add_argument("--ttl", type=int, help="lifetime in seconds (default 12 h)")
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    key = load_or_create_issuer_key(settings.data_dir)
    try:
        token = mint(
            key,
            party=args.party,
            officer=args.officer or f"{args.party}-duty",
            scopes=args.scope or ["duty"],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_s=args.ttl or settings.token_ttl_s,
        )
    except (HotlineError, ValueError) as exc:
        print(f"hotline token: {exc}", file=sys.stderr)
        return 2
    print(f"# party={args.party} scopes={','.join(args.scope or ['duty'])}", file=sys.stderr)
    print(token)
    return 0
