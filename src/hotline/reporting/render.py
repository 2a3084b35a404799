"""Render a collected incident report as one self-contained HTML file (and PDF if possible).

Contract: the HTML has no external references (charts are inline PNG, styles inline) and
embeds the report's facts as JSON in ``<script type="application/json"
id="hotline-report">`` — the same data as the visible tables, for machines. Charts use
matplotlib's Agg backend: a timeline of notices, alerts, deliveries, acknowledgments and
escalations, one lane per party; a map of the declarations' outlines and the tracks (lat/lon,
longitude scaled by cos(latitude)) over country borders and coastlines from the console's
vendored Natural Earth data (:mod:`hotline.reporting.basemap`), when present. PDF: printed by a
headless Chromium if one is installed (:func:`to_pdf`), else none.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hotline.domain.time import format_rfc3339, parse_rfc3339
from hotline.reporting.basemap import outlines
from hotline.reporting.collect import ReportData

_MARKERS = {"notice filed": ("s", "#1f77b4"), "alert": ("^", "#d62728"),
            "delivered": ("o", "#2ca02c"), "acknowledged": ("D", "#9467bd"),
            "message": ("v", "#17becf"), "escalated": ("X", "#ff7f0e"),
            "unacknowledged": ("P", "#8c564b")}


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def timeline_png(data: ReportData) -> str | None:
    if not data.timeline:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lanes = sorted({r["party"] for r in data.timeline})
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.6 * len(lanes)))
    try:
        for what, (marker, color) in _MARKERS.items():
            rows = [r for r in data.timeline if r["what"] == what]
            if rows:
                ax.scatter([(parse_rfc3339(r["t"]) - data.start).total_seconds() / 60
                            for r in rows],
                           [lanes.index(r["party"]) for r in rows], marker=marker, color=color,
                           label=what, s=36, alpha=0.8)
        ax.set_yticks(range(len(lanes)), lanes)
        ax.set_ylim(-0.7, len(lanes) - 0.3)
        ax.set_xlim(0, (data.end - data.start).total_seconds() / 60)
        ax.set_xlabel(f"minutes after {format_rfc3339(data.start)}"
                      + (" (simulated clock)" if data.simulated else ""))
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=4, fontsize=8)
        ax.set_title(f"What {data.party} saw, per party")
        return _png(fig)
    finally:
        plt.close(fig)


def _outline(o: dict[str, Any]) -> tuple[list[float], list[float]]:
    if "outline_polygon" in o:
        vs = o["outline_polygon"]["vertices"]
        return [v["lng"] for v in [*vs, vs[0]]], [v["lat"] for v in [*vs, vs[0]]]
    c = o["outline_circle"]
    r = c["radius"]["value"] / 111_320.0  # metres to degrees of latitude
    lat0, lon0 = c["center"]["lat"], c["center"]["lng"]
    k = math.cos(math.radians(lat0))
    angles = [2 * math.pi * i / 72 for i in range(73)]
    return ([lon0 + r * math.sin(a) / k for a in angles],
            [lat0 + r * math.cos(a) for a in angles])


def map_png(data: ReportData) -> str | None:
    if not data.tracks and not data.declarations:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 7))
    try:
        lats: list[float] = []
        for d in data.declarations:
            style = {"zone": "--", "notice": "-"}[d["kind"]]
            for o in d["outlines"]:
                xs, ys = _outline(o)
                ax.plot(xs, ys, style, color="grey" if not d["full"] else "#555555",
                        linewidth=0.8, alpha=0.7)
                ax.annotate(d["id"], (xs[0], ys[0]), fontsize=6, color="#555555")
                lats.extend(ys)
        for t in data.tracks:
            pts = t["points"]
            xs, ys = [p[2] for p in pts], [p[1] for p in pts]
            (line,) = ax.plot(xs, ys, linewidth=1.6, label=f"{t['aircraft']} ({t['party']})")
            ax.plot(xs[-1:], ys[-1:], "o", color=line.get_color())
            lats.extend(ys)
        if data.area is not None:
            a = data.area
            ax.set_xlim(a.min_lon, a.max_lon)
            ax.set_ylim(a.min_lat, a.max_lat)
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        for bx, by in outlines(x0, y0, x1, y1):  # borders and coasts, under everything
            ax.plot(bx, by, color="#b5a27a", linewidth=0.7, zorder=0)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        mid = sum(lats) / len(lats) if lats else 0.0
        ax.set_aspect(1 / max(0.1, math.cos(math.radians(mid))))
        ax.set_xlabel("longitude (°)")
        ax.set_ylabel("latitude (°)")
        ax.grid(alpha=0.3)
        if data.tracks:
            ax.legend(fontsize=7, loc="best")
        ax.set_title("Tracks, zones (dashed) and notices (solid)")
        return _png(fig)
    finally:
        plt.close(fig)


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _s(x: Any) -> str:
    return "" if x is None else f"{x:.0f} s"


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], cls: str) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _receipts(rs: Sequence[dict[str, Any]]) -> str:
    return "; ".join(f"{r.get('event')} by {r.get('officer')} at {r.get('at')} "
                     f"(audit #{r.get('audit_seq')}, key {r.get('signature', {}).get('kid')})"
                     for r in rs)


def _img(b64: str | None, alt: str) -> str:
    return "" if b64 is None else f'<img alt="{alt}" src="data:image/png;base64,{b64}">'


def to_html(data: ReportData) -> str:
    doc = data.json()
    audit = data.audit
    verdict = "VERIFIED" if audit.get("verified") else "FAILED"
    decl = _table(["id", "kind", "owner", "filed at", "lead time at filing", "late", "details"],
                  [[d["id"], d["kind"], d["owner"], d.get("filed_at", ""),
                    _s((d.get("lead_time") or {}).get("measured_s")),
                    (d.get("lead_time") or {}).get("late", ""),
                    d.get("purpose") or d.get("name") or d.get("details", "")]
                   for d in data.declarations], "declarations")
    alerts = _table(["id", "to", "kind", "severity", "about", "raised", "lead at filing",
                     "lead at delivery", "delivered", "acknowledged", "escalated", "receipts"],
                    [[a["id"], a["party"], a["kind"], a["severity"],
                      f"{a['subject']['id']} x {a['other']['id']}", a["created_at"],
                      _s(a["lead_time_at_filing_s"]), _s(a["lead_time_at_delivery_s"]),
                      a["delivered_at"],
                      "" if not a["ack"] else f"{a['ack']['at']} by {a['ack']['by']}",
                      a["escalated_at"] or "", _receipts(a["receipts"])]
                     for a in data.alerts], "alerts")
    msgs = _table(["id", "from", "to", "sent", "content", "acknowledged", "receipts"],
                  [[m["id"], m["from"], m["to"], m["created_at"],
                    m["text"] or f"{m['template']} {json.dumps(m['fields'])}",
                    "" if not m["ack"] else f"{m['ack']['at']} by {m['ack']['by']}",
                    _receipts(m["receipts"])] for m in data.messages], "messages")
    tracks = _table(["aircraft", "party", "callsign", "reports", "first", "last", "why"],
                    [[t["aircraft"], t["party"], t["callsign"], t["reports"], t["first"],
                      t["last"], t["why"]] for t in data.tracks], "tracks")
    tl, mp = timeline_png(data), map_png(data)
    clock = (" All times come from a <b>simulated clock</b> (the receipts say so)."
             if data.simulated else "")
    notes = "".join(f"<p class='note'>{_e(n)}</p>" for n in data.notes)
    root = str(audit.get("tree_head", {}).get("root_hash", ""))[:16]
    embedded = json.dumps(doc, sort_keys=True).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Hotline incident report: {_e(data.party)} {_e(doc['from'])} .. {_e(doc['to'])}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.8em; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.4em; vertical-align: top; }}
th {{ background: #eee; }} img {{ max-width: 100%; }} .note {{ color: #a60; }}
.ok {{ color: #070; font-weight: bold; }} .bad {{ color: #b00; font-weight: bold; }}
</style></head><body>
<h1>Hotline incident report</h1>
<p>Party <b id="party">{_e(data.party)}</b>, from <b>{_e(doc['from'])}</b> to
<b>{_e(doc['to'])}</b>{'' if data.area is None else ', area ' + _e(doc['area'])}.
What this party is entitled to see: its alerts, its messages, its own declarations and those
it conflicts with, tracks of its aircraft and of those its alerts name, its audit records.
{clock}</p>
<h2>Audit verification</h2>
<p id="audit" class="{'ok' if audit.get('verified') else 'bad'}">
{verdict}: {_e(audit.get('method'))} (tree root {_e(root)}…)</p>
{notes}
<h2>Timeline</h2>{_img(tl, 'timeline')}
<h2>Map</h2>{_img(mp, 'map')}
<h2>Alerts</h2>{alerts}
<h2>Messages</h2>{msgs}
<h2>Declarations</h2>{decl}
<h2>Tracks</h2>{tracks}
<script type="application/json" id="hotline-report">{embedded}</script>
</body></html>
"""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def to_pdf(html_path: Path, pdf_path: Path, timeout_s: float = 120.0) -> str | None:
    """Print the HTML to PDF with a headless Chromium; return None on success, else why not."""
    exe = chromium()
    if exe is None:
        return "no Chromium found (install the Debian package chromium for PDF output)"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--no-pdf-header-footer", f"--print-to-pdf={pdf_path}",
           html_path.resolve().as_uri()]
    try:
        subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Chromium failed: {exc}"
    if not pdf_path.exists() or pdf_path.stat().st_size == 0:
        return "Chromium wrote no PDF"
    return None
