"""Supabase Management API emulator: the migration history read from the real Postgres, and health."""

from __future__ import annotations

import asyncio

import psycopg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.emulators.common import bearer_auth, build_app, supabase_error

HEALTH_SERVICES = ("auth", "db", "pooler", "realtime", "rest", "storage")


def _migrations(dsn: str) -> list[dict]:
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        rows = conn.execute(
            "select version, name from supabase_migrations.schema_migrations order by version").fetchall()
    return [{"version": str(v), "name": n} for v, n in rows]


def _db_ok(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=2) as conn:
            conn.execute("select 1")
        return True
    except psycopg.Error:
        return False


def create_supabase_app(ref: str, dsn: str, token) -> Starlette:
    def unknown(request: Request) -> Response | None:
        if request.path_params["ref"] != ref:
            return supabase_error(404, "Project not found")
        return None

    async def migrations(request: Request) -> Response:
        missing = unknown(request)
        if missing is not None:
            return missing
        try:
            return JSONResponse(await asyncio.to_thread(_migrations, dsn))
        except psycopg.Error:
            return supabase_error(500, "Failed to list database migrations")

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
        Route("/v1/projects/{ref}/database/migrations", migrations),
    ]
    return build_app(routes, auth=bearer_auth(token, supabase_error), error=supabase_error,
                     rate_limit_prefix="X-RateLimit-")
