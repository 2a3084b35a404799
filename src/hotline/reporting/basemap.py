"""Country borders and coastlines for report maps, from the console's vendored Natural Earth
(world-atlas ``countries-50m.json``, TopoJSON; no network).

Contract: :func:`outlines` returns the TopoJSON arcs (shared borders and coastlines) that meet
a lon/lat box, each as ``(lons, lats)`` numpy arrays in degrees; empty when the file is absent.
Arcs are delta-encoded, quantized positions: position = cumulative sum x scale + translate.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@lru_cache(maxsize=1)
def _arcs() -> tuple[tuple[F64, F64], ...]:
    try:
        ref = resources.files("hotline.web") / "vendor" / "world-atlas" / "countries-50m.json"
        doc = json.loads(ref.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError):
        return ()
    (sx, sy), (tx, ty) = doc["transform"]["scale"], doc["transform"]["translate"]
    out = []
    for arc in doc["arcs"]:
        q = np.cumsum(np.asarray(arc, dtype=np.float64), axis=0)
        out.append((q[:, 0] * sx + tx, q[:, 1] * sy + ty))
    return tuple(out)


def outlines(min_lon: float, min_lat: float, max_lon: float,
             max_lat: float) -> list[tuple[F64, F64]]:
    """The arcs with a point inside the box (whole arcs; the plot clips them)."""
    return [(x, y) for x, y in _arcs()
            if bool(np.any((x >= min_lon) & (x <= max_lon) & (y >= min_lat) & (y <= max_lat)))]
