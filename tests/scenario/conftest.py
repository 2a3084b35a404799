"""One headless demo run (the Kestrel Basin scenario, fixed simulated start) shared by the demo
and report tests of this session: subprocess, real socket, SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from hotline.adapters.storage.pgserver import free_port

HOTLINE = [sys.executable, "-m", "hotline.cli.main"]
START = "2031-05-14T06:00:00Z"


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("demo")
    data = tmp / "demo"
    done = subprocess.run(
        [*HOTLINE, "demo", "--headless", "--speed", "0", "--port", str(free_port()),
         "--data-dir", str(data), "--start", START],
        cwd=tmp, env={**os.environ, "HOTLINE_DATA_DIR": str(tmp / "unused")},
        capture_output=True, text=True, timeout=900, check=False)
    summary_file = data / "demo-summary.json"
    assert summary_file.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return {"rc": done.returncode, "out": done.stdout, "err": done.stderr,
            "summary": json.loads(summary_file.read_text()), "data": data, "tmp": tmp}
