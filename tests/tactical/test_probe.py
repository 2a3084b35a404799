"""``tactical.probe``: the pruned probe finds exactly what checking every pair finds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_traffic import random_traffic

from hotline.domain.units import FT, NM
from hotline.tactical.cpa import Separation, kinematics, pair_cpa
from hotline.tactical.probe import Conflicts, ProbeOptions, all_pairs_probe, probe
from hotline.tactical.states import TrafficState


def every_pair(state: TrafficState, options: ProbeOptions) -> dict[tuple[int, int], tuple]:
    """No pruning at all: pair_cpa on all N(N-1)/2 pairs."""
    i, j = np.triu_indices(len(state), 1)
    if not options.same_party:
        other = state.party[i] != state.party[j]
        i, j = i[other], j[other]
    got = pair_cpa(kinematics(state, options.t_ref), i, j, options.separation)
    got = got.select(got.conflict)
    return {(int(a), int(b)): (t, d) for a, b, t, d in
            zip(got.i, got.j, got.tcpa_s, got.dcpa_m, strict=True)}


def as_dict(c: Conflicts) -> dict[tuple[int, int], tuple]:
    return {(int(a), int(b)): (t, d) for a, b, t, d in
            zip(c.i, c.j, c.tcpa_s, c.dcpa_m, strict=True)}


def assert_same(got: Conflicts, want: dict[tuple[int, int], tuple]) -> None:
    have = as_dict(got)
    assert set(have) == set(want), (set(want) - set(have), set(have) - set(want))
    for k, (t, d) in want.items():
        assert have[k][0] == pytest.approx(t, rel=1e-9, abs=1e-9)
        assert have[k][1] == pytest.approx(d, rel=1e-9, abs=1e-9)
    assert np.all(got.i < got.j)
    assert list(zip(got.i, got.j, strict=True)) == sorted(zip(got.i, got.j, strict=True))


@pytest.mark.parametrize(("seed", "n", "lat0", "lon0", "box", "stagger"), [
    (1, 400, 47.0, 8.0, 80.0, 0.0),
    (2, 400, 89.5, 0.0, 150.0, 30.0),  # over the pole
    (3, 400, -10.0, 179.95, 200.0, 10.0),  # across the antimeridian
    (4, 600, 0.0, 0.0, 400.0, 60.0),
])
def test_pruned_probe_misses_nothing(seed: int, n: int, lat0: float, lon0: float, box: float,
                                     stagger: float) -> None:
    state = random_traffic(seed, n, lat0=lat0, lon0=lon0, box_km=box, stagger_s=stagger,
                           max_ft=12000)
    for options in (ProbeOptions(), ProbeOptions(same_party=True),
                    ProbeOptions(Separation(3 * NM, 500 * FT, 120.0))):
        want = every_pair(state, options)
        got = probe(state, options)
        assert len(want) > 20  # dense enough to mean something
        assert_same(got, want)
        assert_same(all_pairs_probe(state, options, rows=97), want)
        assert got.candidates < len(state) * (len(state) - 1) / 2


@st.composite
def traffic(draw: st.DrawFn) -> TrafficState:
    n = draw(st.integers(0, 25))
    lat0 = draw(st.floats(-89.0, 89.0))
    lon0 = draw(st.floats(-180.0, 180.0))
    spread = draw(st.sampled_from([0.05, 0.3, 1.5]))
    fl = st.integers(0, 6).map(lambda k: (5000 + 1000 * k) * FT)
    rows = [(draw(st.floats(-spread, spread)), draw(st.floats(-spread, spread)),
             draw(st.one_of(fl, st.floats(1000, 4000))),
             draw(st.sampled_from([0.0, 150.0, 250.0, 900.0])) + draw(st.floats(0, 20)),
             draw(st.floats(0, 360)), draw(st.sampled_from([0.0, 0.0, 12.0, -25.0])),
             draw(st.floats(0, 30)), draw(st.sampled_from("ab"))) for _ in range(n)]
    cols = list(zip(*rows, strict=True)) if rows else [[]] * 8
    return TrafficState.from_columns(
        ids=[f"x{k}" for k in range(n)], lat_deg=np.clip(np.add(cols[0], lat0), -90, 90),
        lon_deg=np.add(cols[1], lon0), alt_m=cols[2], gs_mps=cols[3], trk_deg=cols[4],
        vs_mps=cols[5], t_s=cols[6], party=list(cols[7]))


@settings(max_examples=300, deadline=None)
@given(traffic(), st.booleans())
def test_pruning_never_misses(state: TrafficState, same_party: bool) -> None:
    options = ProbeOptions(same_party=same_party)
    assert_same(probe(state, options), every_pair(state, options))


@settings(max_examples=100, deadline=None)
@given(traffic(), st.randoms(use_true_random=False))
def test_invariant_under_permutation_and_renaming(state: TrafficState, rnd: object) -> None:
    n = len(state)
    perm = np.array(rnd.sample(range(n), n), dtype=np.intp)  # type: ignore[attr-defined]
    renamed = state.take(perm)
    renamed = TrafficState(**{**{f: getattr(renamed, f) for f in renamed.__dataclass_fields__},
                              "ids": np.array([f"new{k}" for k in range(n)])})
    base = as_dict(probe(state, ProbeOptions(same_party=True)))
    moved = probe(renamed, ProbeOptions(same_party=True))
    back = {tuple(sorted((int(perm[a]), int(perm[b])))): v for (a, b), v in as_dict(moved).items()}
    assert set(back) == set(base)
    for k, (t, d) in base.items():
        assert back[k][0] == pytest.approx(t, rel=1e-9, abs=1e-9)
        assert back[k][1] == pytest.approx(d, rel=1e-9, abs=1e-9)


def test_same_party_pairs_only_when_asked() -> None:
    state = TrafficState.from_columns(
        ids=["a1", "a2", "b1"], lat_deg=[0, 0, 0], lon_deg=[0, 0.01, 0.02], alt_m=[3000] * 3,
        gs_mps=[0] * 3, trk_deg=[0] * 3, vs_mps=[0] * 3, party=["A", "A", "B"])
    assert as_dict(probe(state)).keys() == {(0, 2), (1, 2)}
    assert as_dict(probe(state, ProbeOptions(same_party=True))).keys() == {(0, 1), (0, 2), (1, 2)}
    got = probe(state)
    assert got.lost.all() and np.all(got.t_in_s == 0)


@pytest.mark.parametrize("n", [0, 1])
def test_nothing_to_pair(n: int) -> None:
    state = random_traffic(1, n)
    assert len(probe(state)) == 0 and len(all_pairs_probe(state)) == 0
