"""Sample trajectories from the ``traffic`` package wheel, read as plain data (never imported).

The wheel is installed at install time by ``make install`` (``pip install --no-deps
traffic==2.13``: only its data files are used, so none of its heavy dependencies is needed).
Files are gzipped JSON lists of records with ``timestamp`` (ms), ``icao24``, ``latitude``,
``longitude``, ``altitude`` (ft, barometric, 25 ft steps), ``groundspeed`` (kt), ``track``
(deg) and ``vertical_rate`` (ft/min). :func:`snapshots` turns one into one
:class:`TrafficState` per timestamp (records with a missing value are skipped).
"""

from __future__ import annotations

import gzip
import json
import os
from collections import defaultdict
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from hotline.domain.units import FPM, FT, KT
from hotline.tactical.states import TrafficState

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FIELDS = ("latitude", "longitude", "altitude", "groundspeed", "track", "vertical_rate")


def sample_path(relative: str) -> Path:
    """Path of ``traffic/data/samples/<relative>``; fails under CI, skips elsewhere."""
    try:
        path = Path(str(metadata.distribution("traffic").locate_file(
            f"traffic/data/samples/{relative}")))
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.exists():
        message = ("traffic sample data not installed: run `make install` "
                   "(pip install --no-deps traffic==2.13)")
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def snapshots(relative: str, *, every_s: int = 1, start_s: int | None = None,
              end_s: int | None = None) -> Iterator[tuple[float, TrafficState]]:
    """(time s, state) per timestamp that is a multiple of ``every_s``, in time order."""
    records = json.loads(gzip.decompress(sample_path(relative).read_bytes()))
    by_time: dict[int, dict[str, dict[str, float]]] = defaultdict(dict)
    for r in records:
        if any(r.get(k) is None for k in FIELDS):
            continue
        t = int(r["timestamp"]) // 1000
        if t % every_s or (start_s is not None and t < start_s) or (end_s is not None
                                                                     and t > end_s):
            continue
        by_time[t][str(r["icao24"])] = r
    for t in sorted(by_time):
        rows = by_time[t]
        ids = sorted(rows)
        yield float(t), TrafficState.from_columns(
            ids,
            [rows[i]["latitude"] for i in ids],
            [rows[i]["longitude"] for i in ids],
            [rows[i]["altitude"] * FT for i in ids],
            [rows[i]["groundspeed"] * KT for i in ids],
            [rows[i]["track"] for i in ids],
            [rows[i]["vertical_rate"] * FPM for i in ids],
            t_s=[float(t)] * len(ids),
        )
