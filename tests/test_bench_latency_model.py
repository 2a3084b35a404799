"""The strategic benchmark's latency model (``benchmarks/strategic.py``: latency as base + cost
per conflict, by least squares) recovers a known line, says how much of the spread it explains,
and gives no model where a line cannot be fitted."""

from __future__ import annotations

import doctest
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def strategic() -> Iterator[ModuleType]:
    bench = str(ROOT / "benchmarks")  # (it imports its sibling modules, e.g. harness)
    sys.path.insert(0, bench)
    spec = importlib.util.spec_from_file_location("bench_strategic",
                                                  ROOT / "benchmarks" / "strategic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(bench)
        sys.modules.pop(spec.name, None)


def test_its_doctest_passes(strategic: ModuleType) -> None:
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(strategic.latency_model, "latency_model",
                                             globs={"latency_model": strategic.latency_model}):
        runner.run(test)
    assert runner.failures == 0 and runner.tries >= 2


def test_recovers_a_noisy_line(strategic: ModuleType) -> None:
    rng = np.random.default_rng(7)
    conflicts = rng.integers(0, 40, 2_000)
    ms = 2.0 + 0.3 * conflicts + rng.normal(0.0, 0.5, conflicts.size)
    m = strategic.latency_model((ms * 1e6).astype(np.int64).tolist(), conflicts.tolist())
    assert m["base_ms"] == pytest.approx(2.0, abs=0.1)
    assert m["ms_per_conflict"] == pytest.approx(0.3, abs=0.01)
    assert 0.9 < m["r2"] < 1.0  # the noise is a small share of the spread
    assert m["conflicts_p50"] == pytest.approx(np.percentile(conflicts, 50), abs=0.1)
    assert m["conflicts_p99"] == pytest.approx(np.percentile(conflicts, 99), abs=0.1)


def test_latency_unrelated_to_conflicts_explains_nothing(strategic: ModuleType) -> None:
    rng = np.random.default_rng(8)
    conflicts = rng.integers(0, 40, 2_000)
    ms = rng.uniform(1.0, 9.0, conflicts.size)
    m = strategic.latency_model((ms * 1e6).astype(np.int64).tolist(), conflicts.tolist())
    assert m["r2"] < 0.01
    assert abs(m["ms_per_conflict"]) < 0.01


@pytest.mark.parametrize("lat,conflicts", [
    ([], []),
    ([1_000_000, 2_000_000], [1, 2]),  # too few writes
    ([1_000_000, 2_000_000, 3_000_000], [5, 5, 5]),  # one conflict count: no slope
])
def test_no_model_without_a_line_to_fit(strategic: ModuleType, lat: list[int],
                                        conflicts: list[int]) -> None:
    assert strategic.latency_model(lat, conflicts) == {}
