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
