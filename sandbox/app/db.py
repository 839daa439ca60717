"""The twin database: migrations, seed data and tenant-scoped connections (RLS applies)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from sandbox.app.passwords import hash_password

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{14})_([a-z0-9_]+)\.sql$")
# The API's role: not a superuser and not the tables' owner, so row-level security binds it.
APP_ROLE = "twin_app"
CONNECT_TIMEOUT = 5

DEMO_PERSONA = (
    "Ada is a calm product strategist. She answers briefly, favours clear roadmaps, "
    "and explains trade-offs in plain words."
)
# An owner-only note: the owner channel may quote it, the public channel must never show it.
DEMO_PRIVATE_NOTE = "Private: the Q3 launch slips to October, keep it internal."


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    def statements(self) -> list[str]:
        return split_statements(self.path.read_text())


def split_statements(sql: str) -> list[str]:
    """Split a migration file into statements: a line ending in ';' ends one, outside $$ bodies."""
    out: list[str] = []
    current: list[str] = []
    in_dollar = False
    for line in sql.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("--")):
            continue
        current.append(line)
        if line.count("$$") % 2:
            in_dollar = not in_dollar
        if stripped.endswith(";") and not in_dollar:
            out.append("\n".join(current).strip().rstrip(";"))
            current = []
    if current and "\n".join(current).strip():
        out.append("\n".join(current).strip().rstrip(";"))
    return out


def migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; a misnamed file is an error naming it."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"{path}: migration file names must be <14-digit version>_<name>.sql")
        found.append(Migration(match.group(1), match.group(2), path))
    return found


def migrate(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply the migrations not yet recorded in supabase_migrations.schema_migrations; return their versions."""
    applied: list[str] = []
    with psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT) as conn:
        with conn.transaction():
            conn.execute("CREATE SCHEMA IF NOT EXISTS supabase_migrations")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations "
                "(version text PRIMARY KEY, name text, statements text[])"
            )
        done = {row[0] for row in conn.execute("SELECT version FROM supabase_migrations.schema_migrations")}
        for migration in migrations(directory):
            if migration.version in done:
                continue
            statements = migration.statements()
            # One transaction per migration, as the Supabase CLI does: all of it or none of it.
            with conn.transaction():
                for statement in statements:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO supabase_migrations.schema_migrations (version, name, statements) "
                    "VALUES (%s, %s, %s)",
                    (migration.version, migration.name, statements),
                )
            applied.append(migration.version)
    return applied


def seed(dsn: str, owner_email: str, owner_password: str, tenant_name: str = "Demo Tenant",
         twin_name: str = "Ada") -> dict:
    """Create one tenant, its owner, one twin with a share token and a private note (idempotent per email)."""
    with psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT, row_factory=dict_row) as conn:
        existing = conn.execute(
            "SELECT u.id AS user_id, u.tenant_id, t.id AS twin_id, t.share_token FROM users u "
            "JOIN twins t ON t.tenant_id = u.tenant_id WHERE u.email = %s ORDER BY t.created_at LIMIT 1",
            (owner_email,),
        ).fetchone()
        if existing:
            return {k: str(v) for k, v in existing.items()}
        with conn.transaction():
            tenant_id = conn.execute(
                "INSERT INTO tenants (name) VALUES (%s) RETURNING id", (tenant_name,)
            ).fetchone()["id"]
            user_id = conn.execute(
                "INSERT INTO users (tenant_id, email, password_hash) VALUES (%s, %s, %s) RETURNING id",
                (tenant_id, owner_email, hash_password(owner_password)),
            ).fetchone()["id"]
            share_token = secrets.token_urlsafe(18)
            twin_id = conn.execute(
                "INSERT INTO twins (tenant_id, name, persona, share_token) VALUES (%s, %s, %s, %s) RETURNING id",
                (tenant_id, twin_name, DEMO_PERSONA, share_token),
            ).fetchone()["id"]
            conn.execute(
                "INSERT INTO training_events (tenant_id, twin_id, source, content) VALUES (%s, %s, 'owner', %s)",
                (tenant_id, twin_id, DEMO_PRIVATE_NOTE),
            )
    return {"tenant_id": str(tenant_id), "user_id": str(user_id), "twin_id": str(twin_id),
            "share_token": share_token}


@contextmanager
def service_connection(dsn: str) -> Iterator[psycopg.Connection]:
    """A connection with the service role (bypasses RLS): login, share-token lookup, the worker."""
    with psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT, row_factory=dict_row, autocommit=True) as conn:
        yield conn


@contextmanager
def tenant_connection(dsn: str, tenant_id: str) -> Iterator[psycopg.Connection]:
    """A connection as the app role with app.tenant_id set, so every query is filtered by RLS."""
    with psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT, row_factory=dict_row, autocommit=True) as conn:
        conn.execute(f"SET ROLE {APP_ROLE}")
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (str(tenant_id),))
        yield conn
