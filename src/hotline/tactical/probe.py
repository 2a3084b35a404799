"""All-conflicts probe over a traffic snapshot, with conservative spatial pruning.

:func:`probe` finds every unordered pair (i < j) whose predicted loss of separation (the model
and conventions of :mod:`hotline.tactical.cpa`) meets ``[0, lookahead]`` after the reference
time, and returns them as a :class:`Conflicts` of arrays, ordered by (i, j).

Pruning (provably conservative: it never drops a pair that :func:`all_pairs_probe` reports).
Let ``p_i(s) = R u_i + v_i s`` be aircraft i's tangent line in Earth-centred coordinates and
``rho_i = gs_i (dt_i + T)`` how far it moves by the end of the lookahead ``T``. In the pair
model the horizontal offset at time tau is ``r = c_arc + T_m v_j s_j - T_m v_i s_i`` (``T_m``
the parallel transport to the midpoint, a rotation by half the pair's angular separation
``alpha``). Since transport keeps speed, ``|r| >= g - rho_i - rho_j`` (``g`` the great-circle
distance), so a conflict needs ``g < D = H + 2 max(rho)``, hence ``alpha/2 <= theta = D / 2R``.
Then ``|p_j - p_i| <= |r| + (g - chord) + theta (rho_i + rho_j)`` with
``g - chord <= D^3 / 24 R^2``: every aircraft's box — its tangent segment over the lookahead,
widened by ``H/2 + theta rho_i + D^3/48R^2`` (plus 1 m of floating-point slack) in x, y, z, and
its altitude sweep widened by ``V/2`` — meets the other's whenever the pair conflicts. Boxes
are hashed into a uniform 4-D grid (x, y, z, altitude); within a cell, entries are ordered by
altitude so that only pairs whose altitude sweeps may overlap are generated; a pair is examined
once, in the first cell both boxes share; pairs whose boxes overlap and whose vertical loss
interval meets the lookahead go to the exact CPA check. Memory: cells and
candidate pairs are processed in chunks of about :data:`CHUNK_PAIRS`, so memory grows with N
and the output, not N^2 (for traffic of bounded density).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from hotline.tactical.cpa import (
    EARTH_RADIUS_M,
    IntArray,
    Kinematics,
    PairCpa,
    Separation,
    kinematics,
    pair_cpa,
    vertical_may_conflict,
)
from hotline.tactical.states import FloatArray, TrafficState

#: Candidate pairs generated and checked per chunk (bounds the working memory).
CHUNK_PAIRS: Final = 1_000_000
#: Floating-point slack added to every box, metres.
SLACK_M: Final = 1.0
#: Spatial cell edge as a fraction of the median box extent.
SPATIAL_CELL: Final = 1.0
#: Altitude resolution of the within-cell sweep, metres, and the bits it may use.
ALT_QUANTUM_M: Final = 0.5
ALT_BITS: Final = 22
#: Altitude cell height in vertical minima (each cell holds this many whole flight levels).
LEVELS_PER_CELL: Final = 2


Int32s = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    """What a probe counts: minima and lookahead, same-party pairs, reference time (default
    the latest ``t_s``)."""

    separation: Separation = field(default_factory=Separation)
    same_party: bool = False
    t_ref: float | None = None


@dataclass(frozen=True, slots=True)
class Conflicts(PairCpa):
    """Conflicting pairs ``(i[k], j[k])``, i < j indexes into the probed state, ordered by
    (i, j): a :class:`~hotline.tactical.cpa.PairCpa` whose every pair conflicts, with times
    relative to ``t_ref``. ``candidates``: pairs checked exactly."""

    t_ref: float = 0.0
    candidates: int = 0

    @classmethod
    def collect(cls, parts: list[PairCpa], t_ref: float, candidates: int) -> Conflicts:
        """Concatenate conflicting pairs (normalised to i < j) and order them by (i, j)."""
        def cat(name: str, dtype: type) -> np.ndarray[Any, Any]:
            arrays = [getattr(p, name) for p in parts]
            return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)

        i, j = cat("i", np.intp), cat("j", np.intp)
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        order = np.lexsort((hi, lo))
        return cls(i=lo[order], j=hi[order], tcpa_s=cat("tcpa_s", np.float64)[order],
                   dcpa_m=cat("dcpa_m", np.float64)[order],
                   t_in_s=cat("t_in_s", np.float64)[order],
                   t_out_s=cat("t_out_s", np.float64)[order],
                   lost=cat("lost", np.bool_)[order],
                   conflict=np.ones(len(order), dtype=np.bool_),
                   t_ref=t_ref, candidates=candidates)


@dataclass(frozen=True, slots=True)
class _Boxes:
    lo: FloatArray  # N x 4: x, y, z (m, Earth-centred), altitude (m)
    hi: FloatArray


def _boxes(kin: Kinematics, sep: Separation) -> _Boxes:
    look = sep.lookahead_s
    rho = kin.gs_mps * (kin.dt_s + look)
    reach = sep.horizontal_m + 2 * float(rho.max(initial=0.0))
    theta = reach / (2 * EARTH_RADIUS_M)
    margin = (sep.horizontal_m / 2 + theta * rho + reach**3 / (48 * EARTH_RADIUS_M**2)
              + SLACK_M)
    frame = _frame(kin.u)
    start = (EARTH_RADIUS_M * kin.u + kin.v * kin.dt_s[:, None]) @ frame
    end = start + (kin.v * look) @ frame
    alt_end = kin.alt_m + kin.vs_mps * look
    half_v = sep.vertical_eff_m / 2 + 1e-6  # |dz| < V_eff exactly: level pairs V apart split
    lo = np.column_stack([np.minimum(start, end) - margin[:, None],
                          np.minimum(kin.alt_m, alt_end) - half_v])
    hi = np.column_stack([np.maximum(start, end) + margin[:, None],
                          np.maximum(kin.alt_m, alt_end) + half_v])
    return _Boxes(lo=lo, hi=hi)


def _frame(u: FloatArray) -> FloatArray:
    """A rotation (3 x 3, columns e1, e2, c) whose third axis points at the traffic's mean
    position: regional traffic then spreads over the first two axes and hardly the third.
    Any rotation keeps the pruning conservative (boxes are built in the rotated axes)."""
    c = u.sum(axis=0)
    norm = float(np.linalg.norm(c))
    c = c / norm if norm > 1e-6 * max(len(u), 1) else np.array([0.0, 0.0, 1.0])
    helper = np.array([1.0, 0.0, 0.0]) if abs(c[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(helper, c)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(c, e1)
    out: FloatArray = np.column_stack([e1, e2, c])
    return out


def _grid(boxes: _Boxes, sep: Separation) -> tuple[FloatArray, FloatArray]:
    """Cell edge and origin per dimension: about the median box extent in x, y, z (fewest
    pairs per box); the vertical minimum in altitude, cells centred on its multiples, so that
    a level aircraft on a flight level (1000 ft steps by default) sits in one cell."""
    extent = boxes.hi - boxes.lo
    size = np.median(extent, axis=0) * SPATIAL_CELL if len(extent) else np.ones(4)
    size[2] = 3 * extent[:, 2].max() if len(extent) else 1.0  # the (nearly) radial axis
    size[:3] = np.maximum(size[:3], 1000.0)
    size[3] = sep.vertical_m * LEVELS_PER_CELL
    origin = np.array([0.0, 0.0, 0.0, -sep.vertical_m / 2])
    return size, origin


def _candidate_chunks(boxes: _Boxes, grid: tuple[FloatArray, FloatArray]
                      ) -> Iterator[tuple[IntArray, IntArray]]:
    """Pairs (a, b) whose boxes overlap, each once, in chunks of about CHUNK_PAIRS."""
    n = len(boxes.lo)
    if n < 2:
        return
    sizes, origin = grid
    c_lo = np.floor((boxes.lo - origin) / sizes).astype(np.int64)
    c_hi = np.floor((boxes.hi - origin) / sizes).astype(np.int64)
    base = c_lo.min(axis=0)
    c_lo -= base
    c_hi -= base
    dims = c_hi.max(axis=0) + 1
    span = (c_hi - c_lo + 1).astype(np.intp)
    # one entry per (aircraft, covered cell), expanded one dimension at a time
    owner = np.arange(n, dtype=np.intp)
    key = np.zeros(n, dtype=np.int64)
    for d in range(4):
        reps = span[owner, d]
        owner_new = np.repeat(owner, reps)
        offset = np.arange(len(owner_new), dtype=np.int64) - np.repeat(np.cumsum(reps) - reps,
                                                                       reps)
        key = np.repeat(key, reps) * dims[d] + c_lo[owner_new, d] + offset
        owner = owner_new
    # within a cell, entries by their altitude floor (quantised down to ALT_QUANTUM_M): an
    # entry's partners are the later entries of its cell whose floor is below its ceiling
    # (quantised up), a superset of the pairs whose altitude sweeps overlap
    alt_base = float(boxes.lo[:, 3].min()) - 1.0
    q_lo = np.floor((boxes.lo[:, 3] - alt_base) / ALT_QUANTUM_M).astype(np.int64)
    q_hi = np.ceil((boxes.hi[:, 3] - alt_base) / ALT_QUANTUM_M).astype(np.int64)
    if int(q_hi.max()) >= 1 << ALT_BITS:
        raise ValueError("altitude range too large for the probe grid")  # > 2,000 km: never
    comp = (key << ALT_BITS) + q_lo[owner]
    order = np.argsort(comp)
    comp, key, owner = comp[order], key[order], owner[order]
    cell = []
    rest = key
    for d in (3, 2, 1, 0):
        rest, c = np.divmod(rest, dims[d])
        cell.append(c.astype(np.int32))
    cell.reverse()
    end = np.searchsorted(comp, (key << ALT_BITS) + q_hi[owner], side="right")
    later = np.maximum(end - np.arange(len(key)) - 1, 0)
    cum = np.cumsum(later)
    low = [c_lo[owner, d].astype(np.int32) for d in range(4)]  # per entry, in entry order
    lo = [np.ascontiguousarray(boxes.lo[:, d]) for d in range(4)]
    hi = [np.ascontiguousarray(boxes.hi[:, d]) for d in range(4)]
    first = 0
    while first < len(key):
        budget = (cum[first - 1] if first else 0) + CHUNK_PAIRS
        last = max(int(np.searchsorted(cum, budget, side="right")), first + 1)
        yield _pairs_in(first, last, later, owner, cell, low, lo, hi)
        first = last


def _pairs_in(first: int, last: int, later: IntArray, owner: IntArray, cell: list[Int32s],
              low: list[Int32s], lo: list[FloatArray], hi: list[FloatArray]
              ) -> tuple[IntArray, IntArray]:
    cnt = later[first:last]
    total = int(cnt.sum())
    pa = np.repeat(np.arange(first, last), cnt)
    pb = pa + 1 + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    # examined once: in the first cell both boxes cover (the max of their low cells, per dim)
    keep = cell[0][pa] == np.maximum(low[0][pa], low[0][pb])
    for d in (1, 2, 3):
        keep &= cell[d][pa] == np.maximum(low[d][pa], low[d][pb])
    a, b = owner[pa[keep]], owner[pb[keep]]
    keep = (lo[3][a] < hi[3][b]) & (lo[3][b] < hi[3][a])
    for d in range(3):
        keep &= (lo[d][a] < hi[d][b]) & (lo[d][b] < hi[d][a])
    return a[keep], b[keep]


def candidate_chunks(kin: Kinematics, sep: Separation) -> Iterator[tuple[IntArray, IntArray]]:
    """The pruning grid's candidate pairs (a, b) of aircraft, each once, in chunks: every
    pair that can come within ``sep`` during the look-ahead is among them."""
    boxes = _boxes(kin, sep)
    return _candidate_chunks(boxes, _grid(boxes, sep))


def probe(state: TrafficState, options: ProbeOptions = ProbeOptions()) -> Conflicts:
    """Every conflicting pair, found through the pruning grid."""
    kin = kinematics(state, options.t_ref)
    sep = options.separation
    parts: list[PairCpa] = []
    candidates = 0
    for a, b in candidate_chunks(kin, sep):
        if not options.same_party:
            other = state.party[a] != state.party[b]
            a, b = a[other], b[other]
        candidates += len(a)
        may = vertical_may_conflict(kin, a, b, sep)
        got = pair_cpa(kin, a[may], b[may], sep)
        parts.append(got.select(got.conflict))
    return Conflicts.collect(parts, kin.t_ref, candidates)


def all_pairs_probe(state: TrafficState, options: ProbeOptions = ProbeOptions(),
                    rows: int = 256) -> Conflicts:
    """The baseline: every pair examined, in blocks of ``rows`` rows (no index). A pair goes
    to the exact check when the necessary conditions hold: great-circle distance below
    ``H + rho_i + rho_j`` and altitude gap below ``V + sigma_i + sigma_j`` (``sigma`` the
    vertical reach)."""
    kin = kinematics(state, options.t_ref)
    sep = options.separation
    look = sep.lookahead_s
    rho = kin.gs_mps * (kin.dt_s + look) + SLACK_M
    sigma = np.abs(kin.vs_mps) * look + SLACK_M
    n = len(state)
    parts: list[PairCpa] = []
    candidates = 0
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        cos_a = np.clip(kin.u[r0:r1] @ kin.u.T, -1.0, 1.0)
        g = EARTH_RADIUS_M * np.arccos(cos_a)
        near = g < sep.horizontal_m + rho[r0:r1, None] + rho[None, :] + SLACK_M
        near &= (np.abs(kin.alt_m[r0:r1, None] - kin.alt_m[None, :])
                 < sep.vertical_m + sigma[r0:r1, None] + sigma[None, :])
        near &= np.arange(r0, r1)[:, None] < np.arange(n)[None, :]
        if not options.same_party:
            near &= state.party[r0:r1, None] != state.party[None, :]
        a, b = np.nonzero(near)
        a = a + r0
        candidates += len(a)
        may = vertical_may_conflict(kin, a, b, sep)
        got = pair_cpa(kin, a[may], b[may], sep)
        parts.append(got.select(got.conflict))
    return Conflicts.collect(parts, kin.t_ref, candidates)
