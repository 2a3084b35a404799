"""The ``hotline`` command as a user runs it (subprocesses, real sockets)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt

HOTLINE = [sys.executable, "-m", "hotline.cli.main"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOTLINE_DATA_DIR": str(cwd / "data")}
    return subprocess.run([*HOTLINE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_token_prints_the_token_alone_on_the_last_line(tmp_path: Path) -> None:
    done = run("token", "--party", "blue", "--officer", "maj-smith", "--scope", "duty",
               "--scope", "admin", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["party"] == "blue" and claims["sub"] == "maj-smith"
    assert claims["scope"] == "hotline:duty hotline:admin"
    assert (tmp_path / "data" / "keys" / "issuer.pem").exists()


def test_token_refuses_a_bad_party(tmp_path: Path) -> None:
    done = run("token", "--party", "Blue Force", cwd=tmp_path)
    assert done.returncode == 2 and "party" in done.stderr


def test_serve_hides_the_started_heap_from_the_collector(tmp_path: Path) -> None:
    """A server's app is built, then everything alive is frozen (``gc.freeze``), so that the
    collector's full passes, which stop every request, scan only what comes later."""
    code = ("import gc; from hotline.cli.serve import worker_app; "
            "assert gc.get_freeze_count() == 0; worker_app(); print(gc.get_freeze_count())")
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path / "data"),
           "HOTLINE_DB": f"sqlite:///{tmp_path / 'h.db'}"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip().splitlines()[-1]) > 10_000  # modules, the app, its store
