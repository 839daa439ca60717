"""The twin API (Starlette on uvicorn): health, auth, owner and share chat, training, feedback."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
import redis
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.app import db, health, learning, logs
from sandbox.app.cors import CorsMiddleware
from sandbox.app.passwords import verify_password
from sandbox.app.persona import Channel, Persona, answer
from sandbox.app.settings import BuildFlag, ConfigError, Settings

log = logging.getLogger("api")
TOKEN_HOURS = 12


@dataclass(frozen=True)
class Identity:
    user_id: str
    tenant_id: str


class RequestLogMiddleware:
    """One `type: request` JSON line per HTTP request (the Render emulator's request logs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]

        async def capture(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            level = 40 if status[0] >= 500 else 20
            log.log(level, f"{scope['method']} {scope['path']} {status[0]}", extra={"type": "request", "fields": {
                "method": scope["method"], "path": scope["path"], "status": status[0],
                "duration_ms": round((time.perf_counter() - start) * 1000, 1)}})


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _json_body(request_body: bytes) -> dict:
    try:
        data = json.loads(request_body or b"{}")
    except ValueError:
        raise HTTPException(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "body must be a JSON object")
    return data


async def body(request: Request) -> dict:
    return _json_body(await request.body())


def identity(request: Request) -> Identity:
    """The caller from its Bearer JWT; DEV_MODE=true lets a missing token through as the first owner."""
    settings = _settings(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        try:
            claims = jwt.decode(header[7:].strip(), settings.jwt_secret, algorithms=["HS256"])
            return Identity(str(claims["sub"]), str(claims["tenant_id"]))
        except (jwt.PyJWTError, KeyError):
            raise HTTPException(401, "invalid or expired token") from None
    if settings.dev_mode:
        with db.service_connection(settings.database_url) as conn:
            row = conn.execute("SELECT id, tenant_id FROM users ORDER BY created_at LIMIT 1").fetchone()
        if row:
            return Identity(str(row["id"]), str(row["tenant_id"]))
    raise HTTPException(401, "missing bearer token")


def health_endpoint(request: Request) -> JSONResponse:
    settings = _settings(request)
    checks = health.run_checks(settings)
    ok = health.healthy(checks)
    if settings.has(BuildFlag.BAD_HEALTH):
        # The broken build: its health handler fails whatever the dependencies say.
        checks["app"] = "error: health handler raised in this build"
        ok = False
    payload = {"status": "healthy" if ok else "unhealthy", "checks": checks, "build": settings.build_label}
    return JSONResponse(payload, status_code=200 if ok else 503)


def login(request: Request, data: dict) -> JSONResponse:
    settings = _settings(request)
    email, password = str(data.get("email", "")), str(data.get("password", ""))
    with db.service_connection(settings.database_url) as conn:
        user = conn.execute("SELECT id, tenant_id, password_hash FROM users WHERE email = %s", (email,)).fetchone()
        twin = user and conn.execute(
            "SELECT id FROM twins WHERE tenant_id = %s ORDER BY created_at LIMIT 1", (user["tenant_id"],)).fetchone()
    if not user or not verify_password(password, user["password_hash"]):
        raise HTTPException(401, "invalid email or password")
    now = datetime.now(UTC)
    token = jwt.encode({"sub": str(user["id"]), "tenant_id": str(user["tenant_id"]), "iat": now,
                        "exp": now + timedelta(hours=TOKEN_HOURS)}, settings.jwt_secret, algorithm="HS256")
    return JSONResponse({"access_token": token, "token_type": "bearer", "twin_id": twin and str(twin["id"])})


def list_twins(request: Request) -> JSONResponse:
    who = identity(request)
    with db.tenant_connection(_settings(request).database_url, who.tenant_id) as conn:
        rows = conn.execute("SELECT id, name, share_token FROM twins ORDER BY created_at").fetchall()
    return JSONResponse([{"id": str(r["id"]), "name": r["name"], "share_token": r["share_token"]} for r in rows])


def _twin(conn, twin_id: str) -> dict:
    try:
        uuid.UUID(twin_id)
    except ValueError:
        raise HTTPException(404, "twin not found") from None
    row = conn.execute("SELECT id, tenant_id, name, persona FROM twins WHERE id = %s", (twin_id,)).fetchone()
    if not row:
        raise HTTPException(404, "twin not found")
    return row


def _persona(conn, twin: dict) -> Persona:
    notes = conn.execute(
        "SELECT content FROM training_events WHERE twin_id = %s AND source = 'owner' ORDER BY created_at",
        (twin["id"],)).fetchall()
    return Persona(twin["name"], twin["persona"], tuple(n["content"] for n in notes))


def _reply(conn, settings: Settings, twin: dict, message: str, channel: Channel) -> tuple[str, str]:
    text = answer(_persona(conn, twin), message, channel, leaky=settings.has(BuildFlag.PERSONA_REGRESSION_DROP),
                  terse=settings.has(BuildFlag.PERSONA_REGRESSION_SLIGHT))
    row = conn.execute(
        "INSERT INTO messages (tenant_id, twin_id, channel, question, answer) VALUES (%s, %s, %s, %s, %s) "
        "RETURNING id", (twin["tenant_id"], twin["id"], channel.value, message, text)).fetchone()
    return text, str(row["id"])


def _message(data: dict) -> str:
    message = str(data.get("message", "")).strip()
    if not message:
        raise HTTPException(422, "message is required")
    return message


def owner_chat(request: Request, data: dict) -> JSONResponse:
    who, settings = identity(request), _settings(request)
    channel = Channel.PUBLIC if data.get("channel") == "public" else Channel.OWNER
    with db.tenant_connection(settings.database_url, who.tenant_id) as conn:
        twin = _twin(conn, request.path_params["twin_id"])
        text, message_id = _reply(conn, settings, twin, _message(data), channel)
    return JSONResponse({"answer": text, "message_id": message_id, "twin_id": str(twin["id"])})


def share_chat(request: Request, data: dict) -> JSONResponse:
    settings = _settings(request)
    message = _message(data)
    with db.service_connection(settings.database_url) as conn:
        found = conn.execute("SELECT tenant_id FROM twins WHERE share_token = %s",
                             (request.path_params["share_token"],)).fetchone()
    if not found:
        raise HTTPException(404, "unknown share link")
    # From here on the public visitor acts inside the twin's tenant, under RLS, read-only on training.
    with db.tenant_connection(settings.database_url, str(found["tenant_id"])) as conn:
        twin = conn.execute("SELECT id, tenant_id, name, persona FROM twins WHERE share_token = %s",
                            (request.path_params["share_token"],)).fetchone()
        text, message_id = _reply(conn, settings, twin, message, Channel.PUBLIC)
        if settings.has(BuildFlag.SHARE_WRITES_TRAINING):
            # The regression this build carries: public chat leaks into the owner's training data.
            conn.execute("INSERT INTO training_events (tenant_id, twin_id, source, content) "
                         "VALUES (%s, %s, 'share', %s)", (twin["tenant_id"], twin["id"], message))
    return JSONResponse({"answer": text, "message_id": message_id})


def training(request: Request, data: dict | None) -> JSONResponse:
    who, settings = identity(request), _settings(request)
    with db.tenant_connection(settings.database_url, who.tenant_id) as conn:
        twin = _twin(conn, request.path_params["twin_id"])
        if data is None:
            rows = conn.execute("SELECT id, source, content, created_at FROM training_events WHERE twin_id = %s "
                                "ORDER BY created_at", (twin["id"],)).fetchall()
            return JSONResponse([{"id": str(r["id"]), "source": r["source"], "content": r["content"],
                                  "created_at": r["created_at"].isoformat()} for r in rows])
        content = str(data.get("content", "")).strip()
        if not content:
            raise HTTPException(422, "content is required")
        row = conn.execute("INSERT INTO training_events (tenant_id, twin_id, source, content) "
                           "VALUES (%s, %s, 'owner', %s) RETURNING id", (who.tenant_id, twin["id"], content)).fetchone()
    return JSONResponse({"id": str(row["id"])}, status_code=201)


def _push(settings: Settings, job_id: str) -> None:
    if not settings.redis_url:
        log.error("learning job %s stays queued: REDIS_URL is not set", job_id)
        return
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.rpush(learning.QUEUE_KEY, job_id)
    except redis.RedisError as exc:
        log.error("learning job %s not pushed to Redis: %s", job_id, type(exc).__name__)
    finally:
        client.close()


def feedback(request: Request, data: dict) -> JSONResponse:
    who, settings = identity(request), _settings(request)
    rating = data.get("rating")
    if rating not in (-1, 1):
        raise HTTPException(422, "rating must be -1 or 1")
    run_id = data.get("run_id")
    with db.tenant_connection(settings.database_url, who.tenant_id) as conn:
        twin = _twin(conn, str(data.get("twin_id", "")))
        with conn.transaction():
            event = conn.execute(
                "INSERT INTO feedback_events (tenant_id, twin_id, message_id, rating, comment, run_id) "
                "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (who.tenant_id, twin["id"], str(data.get("message_id", "")), rating, data.get("comment"),
                 run_id)).fetchone()
            job_id = learning.maybe_create_job(conn, who.tenant_id, str(twin["id"]), settings.min_events,
                                               settings.cooldown_minutes, run_id)
    if job_id:
        _push(settings, job_id)
        log.info("learning job %s queued for twin %s", job_id, twin["id"])
    return JSONResponse({"event_id": str(event["id"]), "job_id": job_id}, status_code=201)


def feedback_job(request: Request) -> JSONResponse:
    who = identity(request)
    job_id = request.path_params["job_id"]
    with db.tenant_connection(_settings(request).database_url, who.tenant_id) as conn:
        try:
            uuid.UUID(job_id)
        except ValueError:
            raise HTTPException(404, "job not found") from None
        row = conn.execute("SELECT * FROM learning_jobs WHERE id = %s", (job_id,)).fetchone()
    if not row:
        raise HTTPException(404, "job not found")
    job = dict(row)
    # When it went `completed` (finished_at is also set for a failed job).
    job["completed_at"] = row["finished_at"] if row["status"] == "completed" else None
    return JSONResponse({k: _job_value(v) for k, v in job.items()})


def _job_value(v):
    """A job column as JSON: times ISO-8601 in UTC (created_at, started_at, completed_at, finished_at)."""
    if isinstance(v, datetime):
        return v.astimezone(UTC).isoformat()
    return v if v is None or isinstance(v, int) else str(v)


def delete_feedback(request: Request) -> JSONResponse:
    who = identity(request)
    run_id = request.query_params.get("run_id", "").strip()
    if not run_id:
        raise HTTPException(422, "run_id query parameter is required")
    with db.tenant_connection(_settings(request).database_url, who.tenant_id) as conn:
        jobs = conn.execute("DELETE FROM learning_jobs WHERE run_id = %s", (run_id,)).rowcount
        events = conn.execute("DELETE FROM feedback_events WHERE run_id = %s", (run_id,)).rowcount
    return JSONResponse({"deleted_events": events, "deleted_jobs": jobs})


def _with_body(handler):
    async def endpoint(request: Request) -> JSONResponse:
        data = await body(request)
        return await run_in_threadpool(handler, request, data)
    return endpoint


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _get_training(request: Request) -> JSONResponse:
    return await run_in_threadpool(training, request, None)


def _p0_loop(stop: threading.Event) -> None:
    while not stop.wait(2.0):
        log.critical("P0: persona store write failures (build p0-in-logs)")


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        stop = threading.Event()
        log.info("twin api starting", extra={"fields": {"build": settings.build_label}})
        if settings.has(BuildFlag.P0_IN_LOGS):
            log.critical("P0: persona store write failures (build p0-in-logs)")
            threading.Thread(target=_p0_loop, args=(stop,), daemon=True).start()
        yield
        stop.set()
        log.info("twin api stopping")

    routes = [
        Route("/health", health_endpoint, methods=["GET"]),
        Route("/auth/login", _with_body(login), methods=["POST"]),
        Route("/twins", list_twins, methods=["GET"]),
        Route("/twins/{twin_id}/chat", _with_body(owner_chat), methods=["POST"]),
        Route("/twins/{twin_id}/training", _with_body(training), methods=["POST"]),
        Route("/twins/{twin_id}/training", _get_training, methods=["GET"]),
        Route("/public/share/{share_token}/chat", _with_body(share_chat), methods=["POST"]),
        Route("/feedback", _with_body(feedback), methods=["POST"]),
        Route("/feedback/jobs/{job_id}", feedback_job, methods=["GET"]),
        Route("/feedback/events", delete_feedback, methods=["DELETE"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error},
                    middleware=[Middleware(RequestLogMiddleware),
                                Middleware(CorsMiddleware, allowed_origins=settings.allowed_origins)])
    app.state.settings = settings
    return app


def main() -> int:
    import uvicorn

    logs.setup("api")
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        log.error(str(exc))
        return 2
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    # log_config=None: uvicorn's own lines go through our JSON handler, never as plain text.
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False,
                timeout_graceful_shutdown=3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
