"""Shared sandbox fixtures: one real Postgres and Redis per xdist worker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    # `sandbox` is not an installed package; tests import it from the checkout.
    sys.path.insert(0, str(REPO_ROOT))

from sandbox import services  # noqa: E402


@pytest.fixture(scope="session")
def pg(tmp_path_factory: pytest.TempPathFactory) -> services.Postgres:
    """A real PostgreSQL with an empty database `twin` (`.dsn`, `.port`, `.pid`)."""
    server = services.start_postgres(tmp_path_factory.mktemp("pg"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> services.Redis:
    """A real Redis without persistence (`.url`, `.port`, `.pid`)."""
    server = services.start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def twin_db(pg: services.Postgres) -> str:
    """The DSN of the migrated `twin` database (migrations applied once per worker)."""
    from sandbox.app import db

    db.migrate(pg.dsn)
    return pg.dsn
