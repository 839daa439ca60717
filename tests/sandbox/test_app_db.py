"""Schema, migrations record, seed and row-level security of the twin database."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from sandbox.app import db
from sandbox.app.passwords import verify_password

TABLES = ["tenants", "twins", "messages", "training_events", "feedback_events", "learning_jobs"]


def test_migrations_are_recorded_with_versions_names_and_statements(twin_db):
    assert db.migrate(twin_db) == []  # idempotent: nothing left to apply
    with db.service_connection(twin_db) as conn:
        rows = conn.execute(
            "SELECT version, name, statements FROM supabase_migrations.schema_migrations ORDER BY version"
        ).fetchall()
    names = [r["name"] for r in rows]
    assert "phase7_feedback_learning_loop" in names
    assert "add_feedback_learning_job_type" in names
    assert all(len(r["version"]) == 14 and r["version"].isdigit() for r in rows)
    assert all(r["statements"] for r in rows)
    assert [r["version"] for r in rows] == sorted(r["version"] for r in rows)


def test_rls_is_enabled_with_policies_on_tenant_tables(twin_db):
    with db.service_connection(twin_db) as conn:
        flags = {r["relname"]: r["relrowsecurity"] for r in conn.execute(
            "SELECT relname, relrowsecurity FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r'",
            (TABLES,)).fetchall()}
        policies = {r["tablename"] for r in conn.execute(
            "SELECT tablename FROM pg_policies WHERE qual LIKE %s", ("%app.tenant_id%",)).fetchall()}
    assert flags == {t: True for t in TABLES}
    assert policies == set(TABLES)


def test_second_tenant_cannot_see_first_tenants_rows(twin_db):
    first = db.seed(twin_db, f"a-{uuid.uuid4().hex[:8]}@example.test", "pw-a")
    second = db.seed(twin_db, f"b-{uuid.uuid4().hex[:8]}@example.test", "pw-b")
    with db.tenant_connection(twin_db, second["tenant_id"]) as conn:
        twins = {str(r["id"]) for r in conn.execute("SELECT id FROM twins").fetchall()}
        training = conn.execute("SELECT count(*) AS n FROM training_events WHERE twin_id = %s",
                                (first["twin_id"],)).fetchone()["n"]
        assert conn.execute("SELECT current_setting('app.tenant_id')").fetchone()["current_setting"] \
            == second["tenant_id"]
        # Writing into another tenant is refused by the policy's WITH CHECK.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO training_events (tenant_id, twin_id, source, content) "
                         "VALUES (%s, %s, 'owner', 'x')", (first["tenant_id"], first["twin_id"]))
    assert twins == {second["twin_id"]}
    assert training == 0
    with db.tenant_connection(twin_db, first["tenant_id"]) as conn:
        assert conn.execute("SELECT count(*) AS n FROM training_events WHERE twin_id = %s",
                            (first["twin_id"],)).fetchone()["n"] == 1


def test_seed_is_idempotent_and_hashes_the_password(twin_db):
    email = f"c-{uuid.uuid4().hex[:8]}@example.test"
    one = db.seed(twin_db, email, "s3cret")
    assert db.seed(twin_db, email, "s3cret") == one
    with db.service_connection(twin_db) as conn:
        stored = conn.execute("SELECT password_hash FROM users WHERE email = %s", (email,)).fetchone()
    assert "s3cret" not in stored["password_hash"]
    assert verify_password("s3cret", stored["password_hash"])
    assert not verify_password("wrong", stored["password_hash"])


def test_split_statements_keeps_dollar_bodies_whole():
    sql = "-- c\nCREATE TABLE a (x int);\n\nDO $$\nBEGIN\n  PERFORM 1;\nEND\n$$;\nSELECT 1;\n"
    assert db.split_statements(sql) == ["CREATE TABLE a (x int)", "DO $$\nBEGIN\n  PERFORM 1;\nEND\n$$",
                                        "SELECT 1"]


def test_disabling_rls_really_leaks_rows_to_the_app_role(twin_db):
    db.seed(twin_db, f"d-{uuid.uuid4().hex[:8]}@example.test", "pw-d")
    lone = db.seed(twin_db, f"e-{uuid.uuid4().hex[:8]}@example.test", "pw-e")
    # DDL is transactional in Postgres: the rollback restores RLS for every other test.
    with psycopg.connect(twin_db, connect_timeout=5) as conn:
        conn.execute("ALTER TABLE twins DISABLE ROW LEVEL SECURITY")
        conn.execute(f"SET ROLE {db.APP_ROLE}")
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (lone["tenant_id"],))
        visible = conn.execute("SELECT count(*) FROM twins").fetchone()[0]
        conn.rollback()
    with db.tenant_connection(twin_db, lone["tenant_id"]) as conn:
        assert conn.execute("SELECT count(*) AS n FROM twins").fetchone()["n"] == 1
    assert visible >= 2
