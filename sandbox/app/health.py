"""The real checks behind GET /health: database, Redis and the vector index."""

from __future__ import annotations

import httpx
import psycopg
import redis

from sandbox.app.settings import Settings

TIMEOUT = 2.0
PINECONE_API_VERSION = "2025-10"


def check_database(settings: Settings) -> str:
    try:
        with psycopg.connect(settings.database_url, connect_timeout=int(TIMEOUT)) as conn:
            conn.execute("SELECT 1").fetchone()
        return "ok"
    except psycopg.Error as exc:
        return f"error: {type(exc).__name__}"


def check_redis(settings: Settings) -> str:
    if not settings.redis_url:
        return "error: REDIS_URL not set"
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    try:
        return "ok" if client.ping() else "error: no PONG"
    except redis.RedisError as exc:
        return f"error: {type(exc).__name__}"
    finally:
        client.close()


def check_vector_index(settings: Settings) -> str:
    """'ok' when the index describes itself (readiness is the predeploy gate's business)."""
    if not settings.pinecone_controller_url:
        return "skipped"
    url = f"{settings.pinecone_controller_url}/indexes/{settings.pinecone_index}"
    try:
        resp = httpx.get(url, timeout=TIMEOUT, headers={
            "Api-Key": settings.pinecone_api_key, "X-Pinecone-Api-Version": PINECONE_API_VERSION})
    except httpx.HTTPError as exc:
        return f"error: {type(exc).__name__}"
    return "ok" if resp.status_code == 200 else f"error: status {resp.status_code}"


def run_checks(settings: Settings) -> dict[str, str]:
    return {
        "database": check_database(settings),
        "redis": check_redis(settings),
        "vector_index": check_vector_index(settings),
    }


def healthy(checks: dict[str, str]) -> bool:
    return all(v in ("ok", "skipped") for v in checks.values())
