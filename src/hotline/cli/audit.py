"""``hotline audit verify [--db URL] [--data-dir D]``: the operator's full check of the log.

Reads every stored audit record and signed tree head (one snapshot) and checks seqs, leaf
hashes, canonical form, the record columns against their data, and every head's signature and
root, with the audit public key of the data directory (never created here). Prints ``OK`` with
the size and root and exits 0, or names the first bad record and exits 1 (2: cannot run).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hotline.cli.serve import add_common, settings_from
from hotline.domain.errors import HotlineError


def register(verbs: Any) -> None:
    p = verbs.add_parser("audit", help="operator tools for the audit log")
    actions = p.add_subparsers(dest="audit_action", required=True, metavar="ACTION")
    v = actions.add_parser("verify", help="verify the whole stored audit log")
    add_common(v)
    v.set_defaults(run=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from hotline.adapters.audit_key import audit_key_path, load_audit_public_key
    from hotline.adapters.storage import open_store
    from hotline.audit.signing import key_id
    from hotline.auditing import verify_store

    settings = settings_from(args)
    try:
        public = load_audit_public_key(settings.data_dir)
        store = open_store(settings.db_url)
    except (HotlineError, OSError, ValueError) as exc:
        print(f"hotline audit verify: {exc}", file=sys.stderr)
        return 2
    if public is None:
        print(f"warning: no audit key at {audit_key_path(settings.data_dir)}: signed tree "
              "heads cannot be checked", file=sys.stderr)
    try:
        keys = {} if public is None else {key_id(public): public}
        report = verify_store(store, keys)
    finally:
        store.close()
    if report.ok:
        print(f"OK: {report.size} records, root {report.root.hex()}, "
              f"{report.heads_checked} signed tree heads verified")
        return 0
    where = "" if report.first_bad_seq is None else f"first bad record #{report.first_bad_seq}: "
    print(f"BAD: {where}{report.reason}")
    return 1
