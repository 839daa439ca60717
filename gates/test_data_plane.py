"""Section 5 step B and section 1: migrations applied, RLS on, Supabase / Pinecone / Redis ready."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.predeploy


@pytest.mark.criterion("migrations-applied")
def test_expected_migrations_are_applied(supabase, target, evidence):
    applied = supabase.list_migrations(target.supabase_project_ref)
    names = {m.name for m in applied} | {m.version for m in applied}
    evidence.note("applied migrations", "\n".join(f"{m.version} {m.name}" for m in applied[-15:]))
    # Fail closed: a target that lists no expected migrations would otherwise pass whatever is applied.
    assert target.expected_migrations, f"target {target.name} lists no expected_migrations; add them to the target"
    missing = [m for m in target.expected_migrations if m not in names]
    assert not missing, f"Supabase lacks the expected migration(s) {', '.join(missing)}"


@pytest.mark.criterion("rls-enabled")
def test_rls_enabled_on_tenant_and_twin_tables(database, env_baseline, evidence):
    tables = env_baseline["rls_tables"]
    state = database.rls_state(tables)
    evidence.note("row-level security", "\n".join(f"{t}: rls={s[0]} policies={s[1]}" for t, s in sorted(state.items())))
    absent = [t for t in tables if t not in state]
    assert not absent, f"table(s) {', '.join(absent)} not found in the public schema"
    off = [t for t, (enabled, _) in state.items() if not enabled]
    assert not off, f"row-level security is disabled on {', '.join(off)}"
    bare = [t for t, (_, policies) in state.items() if policies == 0]
    assert not bare, f"row-level security is on but no policy exists on {', '.join(bare)}"


@pytest.mark.criterion("data-plane-ready")
def test_supabase_project_is_healthy(supabase, target):
    services = supabase.project_health(target.supabase_project_ref, services=["db"])
    unhealthy = [s for s in services if not s.healthy]
    assert services, "Supabase reported no service health"
    assert not unhealthy, "Supabase reports unhealthy: " + ", ".join(f"{s.name} ({s.status})" for s in unhealthy)


@pytest.mark.criterion("data-plane-ready")
def test_pinecone_index_is_ready(pinecone, target):
    index = pinecone.describe_index(target.pinecone_index)
    assert index.ready is True and index.state == "Ready", (
        f"Pinecone index {target.pinecone_index} is not ready: ready={index.ready}, state={index.state}")


@pytest.mark.criterion("data-plane-ready")
def test_redis_answers_ping(redis_ping):
    assert redis_ping() is True, "Redis did not answer PING"
