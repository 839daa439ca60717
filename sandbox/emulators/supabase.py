"""Supabase Management API emulator: the migration history of the real Postgres (listed and applied), health."""

from __future__ import annotations

import asyncio
import time

import psycopg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.counters import Counters
from sandbox.emulators.common import bearer_auth, build_app, json_body, supabase_error

HEALTH_SERVICES = ("auth", "db", "pooler", "realtime", "rest", "storage")


def _migrations(dsn: str) -> list[dict]:
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        rows = conn.execute(
            "select version, name from supabase_migrations.schema_migrations order by version").fetchall()
    return [{"version": str(v), "name": n} for v, n in rows]


class MigrationFailed(Exception):
    """The migration's SQL failed; the message is Postgres's, as Supabase quotes it."""


def _apply(dsn: str, name: str, query: str) -> str:
    """Run `query` and record it as migration `name`, in one transaction (all or nothing); its version.

    The version is when it was applied (`yyyyMMddHHmmss`, UTC; the next free second when two land in one),
    as Supabase stamps a migration applied through the API.
    """
    with psycopg.connect(dsn, connect_timeout=3) as conn, conn.transaction():
        try:
            conn.execute(query)  # no parameters: a multi-statement script runs as one query
        except psycopg.Error as exc:
            code = f"{exc.diag.sqlstate}: " if exc.diag.sqlstate else ""
            raise MigrationFailed(f"Failed to run sql query: ERROR:  {code}{exc.diag.message_primary or exc}") \
                from None
        taken = {v for (v,) in conn.execute("select version from supabase_migrations.schema_migrations")}
        stamp = time.time()
        version = time.strftime("%Y%m%d%H%M%S", time.gmtime(stamp))
        while version in taken:
            stamp += 1
            version = time.strftime("%Y%m%d%H%M%S", time.gmtime(stamp))
        conn.execute("insert into supabase_migrations.schema_migrations (version, name, statements) "
                     "values (%s, %s, %s)", (version, name, [query]))
    return version


def _db_ok(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=2) as conn:
            conn.execute("select 1")
        return True
    except psycopg.Error:
        return False


def create_supabase_app(ref: str, dsn: str, token) -> Starlette:
    # Side effects since `up` (GET /_sandbox/counters): migrations applied, per name.
    counters = Counters("migrations_applied")

    def unknown(request: Request) -> Response | None:
        if request.path_params["ref"] != ref:
            return supabase_error(404, "Project not found")
        return None

    async def migrations(request: Request) -> Response:
        missing = unknown(request)
        if missing is not None:
            return missing
        if request.method == "POST":
            return await apply_migration(request)
        try:
            return JSONResponse(await asyncio.to_thread(_migrations, dsn))
        except psycopg.Error:
            return supabase_error(500, "Failed to list database migrations")

    async def apply_migration(request: Request) -> Response:
        """docs/providers.md#supabase-apply-migration: `{"query", "name"}` -> 201 `{"version", "name"}`."""
        body = json_body(await request.body())
        if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
            return supabase_error(400, 'body must be {"query": "<sql>", "name": "<name>"}')
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            return supabase_error(400, "name is required: the migration's name, as its file is named")
        try:
            version = await asyncio.to_thread(_apply, dsn, name, body["query"])
        except MigrationFailed as exc:
            return supabase_error(400, str(exc))
        except psycopg.Error:
            return supabase_error(500, "Failed to apply database migration")
        counters.add("migrations_applied", name)
        return JSONResponse({"version": version, "name": name}, status_code=201)

    async def health(request: Request) -> Response:
        missing = unknown(request)
        if missing is not None:
            return missing
        wanted = [s for s in request.query_params.getlist("services") for s in s.split(",") if s]
        if not wanted:
            return supabase_error(400, "services is required")
        if any(s not in HEALTH_SERVICES for s in wanted):
            return supabase_error(400, f"services must be among {', '.join(HEALTH_SERVICES)}")
        db = await asyncio.to_thread(_db_ok, dsn)
        out = []
        for name in wanted:
            healthy = db  # every service of the stand-in is the one Postgres
            out.append({"name": name, "healthy": healthy,
                        "status": "ACTIVE_HEALTHY" if healthy else "UNHEALTHY",
                        **({} if healthy else {"error": "database unreachable"})})
        return JSONResponse(out)

    async def project(request: Request) -> Response:
        missing = unknown(request)
        if missing is not None:
            return missing
        db = await asyncio.to_thread(_db_ok, dsn)
        return JSONResponse({"id": ref, "ref": ref, "name": "verified-digital-twin-brain",
                             "organization_id": "sandbox", "region": "us-east-1",
                             "created_at": "2025-06-01T00:00:00Z",
                             "status": "ACTIVE_HEALTHY" if db else "UNKNOWN",
                             "database": {"host": "127.0.0.1", "version": "15", "postgres_engine": "15",
                                          "release_channel": "ga"}})

    routes = [
        Route("/v1/projects/{ref}", project),
        Route("/v1/projects/{ref}/health", health),
        Route("/v1/projects/{ref}/database/migrations", migrations, methods=["GET", "POST"]),
    ]
    return build_app(routes, auth=bearer_auth(token, supabase_error), error=supabase_error,
                     rate_limit_prefix="X-RateLimit-", counters=counters)
