"""Under ``CI=true`` a skipped PostgreSQL or browser test fails the run (conftest hook), so CI
cannot pass green while silently testing only one engine, or the console in no browser."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

PROBE = '''
import pytest

@pytest.mark.postgres
def test_needs_postgres():
    pytest.skip("pretend PostgreSQL is missing")

@pytest.mark.browser
def test_needs_chromium():
    pytest.skip("pretend chromium is missing")

def test_plain_skip_is_fine():
    pytest.skip("not a PostgreSQL test")
'''


def _run(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text((TESTS / "conftest.py").read_text())
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(TESTS)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
         str(tmp_path), "-c", os.devnull, str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )


def test_skipped_postgres_test_fails_under_ci(tmp_path: Path) -> None:
    done = _run(tmp_path, "true")
    assert done.returncode == 1, done.stdout
    assert "2 failed, 1 skipped" in done.stdout


def test_skipped_postgres_test_is_a_skip_outside_ci(tmp_path: Path) -> None:
    done = _run(tmp_path, "")
    assert done.returncode == 0, done.stdout
    assert "3 skipped" in done.stdout
