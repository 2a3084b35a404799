"""Render a benchmark JSON document (``benchmarks/strategic.py --out``) as Markdown tables.

Usage: ``.venv/bin/python benchmarks/report.py bench-results/strategic.json``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

COLUMNS = [
    ("engine", "engine"), ("size", "active notices"), ("interface", "interface"),
    ("series", "series"), ("clients", "clients"), ("writes", "writes"), ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"), ("max_ms", "max ms"), ("writes_per_s", "writes/s"),
    ("mean_candidates", "candidates"), ("mean_conflicts", "conflicts"),
]


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(doc: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(t for _, t in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    for r in doc["results"]:
        if r.get("series") == "fill":
            continue
        lines.append("| " + " | ".join(cell(r.get(k)) for k, _ in COLUMNS) + " |")
    out = ["\n".join(lines)]
    for t in doc.get("targets", []):
        verdict = "PASS" if t.get("pass") else "FAIL"
        out.append(f"- **{verdict}** {t['target']}: {cell(t.get('value'))} {t.get('unit', '')}")
    return "\n\n".join(out)


def main() -> int:
    doc = json.loads(Path(sys.argv[1]).read_text())
    print(render(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
