"""tests/release: the release conductor's unit tests and its end-to-end runs against a real sandbox."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    # `release` and `harness` are not installed packages: they run from the checkout (`python -m release`).
    sys.path.insert(0, str(REPO_ROOT))

import pytest  # noqa: E402
from _gitrepo import git  # noqa: E402


@pytest.fixture(autouse=True)
def _no_notify_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's GONOGO_NOTIFY_URL (runbook.toml [notify]) gets no message from these releases."""
    monkeypatch.delenv("GONOGO_NOTIFY_URL", raising=False)


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


@pytest.fixture
def app_repo(tmp_path):
    """An app checkout: main with two applied migrations, then one commit adding a third and an env file."""
    repo = tmp_path / "app"
    (repo / "supabase" / "migrations").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "supabase" / "migrations" / "20260915093000_phase7_feedback_learning_loop.sql").write_text("select 1;")
    (repo / "supabase" / "migrations" / "20261020101500_add_feedback_learning_job_type.sql").write_text("select 2;")
    (repo / "release.env.toml").write_text("[render_api]\n[render_worker]\n[vercel]\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "live release")
    (repo / "supabase" / "migrations" / "20251124100000_persona_tone_setting.sql").write_text(
        "ALTER TABLE twins ADD COLUMN persona_tone text;")
    (repo / "supabase" / "migrations" / "README.md").write_text("not a migration")
    (repo / "release.env.toml").write_text('[render_api]\nPERSONA_TONE_DEFAULT = "warm"\n[render_worker]\n[vercel]\n')
    git(repo, "checkout", "-qb", "next")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feat: persona tone")
    git(repo, "checkout", "-q", "main")
    return repo


@pytest.fixture
def fake_sandbox(tmp_path, app_repo):
    """A target file for a sandbox that is not running (nothing answers): enough for every refusal."""
    import json

    status = {
        "api_url": "http://127.0.0.1:9", "frontend_url": "http://127.0.0.1:9", "render_api_url": "http://127.0.0.1:9/v1",
        "vercel_api_url": "http://127.0.0.1:9", "supabase_api_url": "http://127.0.0.1:9",
        "pinecone_api_url": "http://127.0.0.1:9", "render_owner_id": "tea-x", "render_api_service_id": "srv-a",
        "render_worker_service_id": "srv-w", "vercel_team_id": "team_x", "vercel_project_id": "prj_x",
        "vercel_alias": "x.test", "supabase_project_ref": "ref", "pinecone_index": "idx", "render_keyvalue_id": "red-x",
        "app_repo": str(app_repo), "owner_email": "o@x.test", "owner_password": "pw-secret-1234",
        "share_url": "http://127.0.0.1:9/share/tok-secret-5678", "database_url": "postgresql://p@127.0.0.1:9/t",
        "redis_url": "redis://127.0.0.1:9/0", "next_release_sha": git(app_repo, "rev-parse", "next"),
        "next_release_branch": "next",
        "secrets": {"RENDER_API_KEY": "rnd-secret-0001", "VERCEL_TOKEN": "vcl-secret-0002",
                    "SUPABASE_ACCESS_TOKEN": "sbp-secret-0003", "PINECONE_API_KEY": "pc-secret-0004"},
    }
    (tmp_path / "status.json").write_text(json.dumps(status))
    target = tmp_path / "fake.toml"
    target.write_text(f'extends = "sandbox"\nsandbox_state = "{tmp_path / "status.json"}"\n')
    return target
