"""Shared sandbox fixtures: one real Postgres and Redis per xdist worker."""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass, field
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


def healthy_app_env(database_url: str, redis_url: str, **overrides: str) -> dict[str, str]:
    """The Render env of a healthy deploy (sandbox/README.md) plus overrides; None-valued keys are dropped."""
    env = {
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SUPABASE_URL": "http://127.0.0.1:9/supabase",
        "SUPABASE_SERVICE_KEY": "test-service-key", "OPENAI_API_KEY": "test-openai-key",
        "PINECONE_API_KEY": "test-pinecone-key", "PINECONE_INDEX_NAME": "twin-index",
        "JWT_SECRET": "test-jwt-secret-" + "x" * 24, "ALLOWED_ORIGINS": "http://127.0.0.1:1",
        "DEV_MODE": "false", "GRAPH_RAG_ENABLED": "true", "CONTENT_EXTRACT_MAX_CHUNKS": "6",
        "ENABLE_ENHANCED_INGESTION": "false", "ENABLE_VC_ROUTES": "false", "FEEDBACK_LEARNING_MIN_EVENTS": "5",
        "FEEDBACK_LEARNING_COOLDOWN_MINUTES": "30", "FEEDBACK_LEARNING_AUTO_PUBLISH": "false",
        "FEEDBACK_LEARNING_RUN_REGRESSION_GATE": "true", "SANDBOX_BUILD": "",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


@dataclass
class AppStack:
    """API (+ worker, + frontend) processes on free ports with a seeded owner; `.stop()` ends them all."""

    api_url: str
    frontend_url: str | None
    owner_email: str
    owner_password: str
    seeded: dict
    log_dir: Path
    procs: dict = field(default_factory=dict)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_process(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is not None:
            services.stop_pid(proc.pid)
            proc.wait(timeout=5)

    def add_frontend(self, name: str, port: int | None = None, *, build: str = "",
                     extra_env: dict[str, str] | None = None, wait: bool = True) -> str:
        """Start one more frontend process (its own origin) on this stack's API; return its URL."""
        port = port or services.free_port()
        url = f"http://127.0.0.1:{port}"
        env = {"HOST": "127.0.0.1", "PORT": str(port), "SANDBOX_BUILD": build,
               "NEXT_PUBLIC_BACKEND_URL": self.api_url, "NEXT_PUBLIC_SUPABASE_URL": "http://127.0.0.1:9",
               "NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon", "NEXT_PUBLIC_FRONTEND_URL": url, **(extra_env or {})}
        self.procs[name] = services.start_app_process("sandbox.app.frontend", env, self.log_dir / f"{name}.log")
        if wait:
            services.wait_for_http(url + "/login", timeout=15)
        return url

    def stop(self) -> None:
        for name in list(self.procs):
            self.stop_process(name)


def launch_stack(database_url: str, redis_url: str, base_dir: Path, *, build: str = "",
                 worker: bool = True, frontend: bool = False, frontend_build: str = "",
                 frontend_env: dict[str, str] | None = None, **api_env: str) -> AppStack:
    """Migrate, seed a fresh owner, start the API (and worker, frontend) and wait until they answer."""
    from sandbox.app import db

    db.migrate(database_url)
    email, password = f"owner-{uuid.uuid4().hex[:10]}@example.test", "owner-" + uuid.uuid4().hex[:12]
    seeded = db.seed(database_url, email, password)
    log_dir = Path(base_dir) / "logs"
    api_port = services.free_port()
    front_port = services.free_port() if frontend else None
    front_url = f"http://127.0.0.1:{front_port}" if frontend else None
    env = healthy_app_env(database_url, redis_url, SANDBOX_BUILD=build, **api_env)
    if frontend and "ALLOWED_ORIGINS" not in api_env:
        env["ALLOWED_ORIGINS"] = front_url
    stack = AppStack(f"http://127.0.0.1:{api_port}", front_url, email, password, seeded, log_dir)
    try:
        stack.procs["api"] = services.start_app_process(
            "sandbox.app.api", {**env, "HOST": "127.0.0.1", "PORT": str(api_port)}, log_dir / "api.log")
        if worker:
            stack.procs["worker"] = services.start_app_process("sandbox.app.worker", env, log_dir / "worker.log")
        if frontend:
            stack.add_frontend("frontend", front_port, build=frontend_build, extra_env=frontend_env)
        services.wait_for_http(stack.api_url + "/health", timeout=15)
    except BaseException:
        stack.stop()
        raise
    return stack
