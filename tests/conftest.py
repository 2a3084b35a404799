"""Shared fixtures: real stores on both engines, a manual clock, tokens, an API client.

PostgreSQL comes from ``HOTLINE_TEST_PG_DSN`` or a private server started here (initdb +
pg_ctl as ``postgres``, own socket dir, free port). Under ``CI=true`` a skipped PostgreSQL
test fails the run: CI must prove both engines; so does a skipped browser test (marker
``browser``, tests/browser): CI must prove the console in a real browser.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings

from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.pgserver import PostgresUnavailable, PrivatePostgres
from hotline.adapters.storage.sql import SqlStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# CI explores the same examples on every run (a red run is reproducible, never a fluke of the
# draw); local runs keep exploring new ones and remember failures in .hypothesis/.
settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    settings.load_profile("ci")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped:
        for marker, what in (("postgres", "PostgreSQL"), ("browser", "Browser")):
            if item.get_closest_marker(marker) is not None:
                report.outcome = "failed"
                report.longrepr = f"{what} test skipped under CI=true: {report.longrepr}"


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    given = os.environ.get("HOTLINE_TEST_PG_DSN")
    if given:
        yield given
        return
    server = PrivatePostgres()
    try:
        server.start()
    except PostgresUnavailable as exc:
        server.stop()
        pytest.skip(f"no PostgreSQL: {exc}")
    try:
        yield server.dsn
    finally:
        server.stop()


def _reset_pg(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for (table,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall():
            conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """A fresh, empty store on each engine."""
    made: SqlStore
    if request.param == "sqlite":
        from hotline.adapters.storage.sqlite import SqliteStore

        made = SqliteStore(tmp_path / "hotline.db")
    else:
        from hotline.adapters.storage.postgres import PostgresStore

        dsn = request.getfixturevalue("pg_dsn")
        _reset_pg(dsn)
        made = PostgresStore(dsn)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)
