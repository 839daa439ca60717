"""tests/release: the release conductor's unit tests and its end-to-end runs against a real sandbox."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    # `release` and `harness` are not installed packages: they run from the checkout (`python -m release`).
    sys.path.insert(0, str(REPO_ROOT))

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory):
    """A real PostgreSQL (started the way the sandbox starts its own), as a journal URL."""
    from sandbox import services

    server = services.start_postgres(tmp_path_factory.mktemp("journal-pg"))
    try:
        yield server.dsn
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_spec(request: pytest.FixtureRequest, tmp_path) -> str:
    """A fresh journal on each backend: an SQLite file, or its own database on the real PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "journal.sqlite")
    import uuid

    import psycopg

    base = request.getfixturevalue("postgres_url")
    name = f"journal_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + f"/{name}"
