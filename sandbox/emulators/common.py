"""What every emulator shares: auth as the provider checks it, its error shape, and the chaos guard."""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.counters import Counters
from sandbox.emulators.chaos import Answers, Chaos, chaos_endpoint


def render_error(status: int, message: str, code: str | None = None) -> JSONResponse:
    body = {"id": str(uuid.uuid4()), "message": message}
    if code:
        body["code"] = code
    return JSONResponse(body, status_code=status)


def vercel_error(status: int, message: str, code: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code or _default_code(status), "message": message}},
                        status_code=status)


def supabase_error(status: int, message: str, code: str | None = None) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


def pinecone_error(status: int, message: str, code: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code or _default_code(status).upper(), "message": message},
                         "status": status}, status_code=status)


def _default_code(status: int) -> str:
    return {400: "bad_request", 401: "unauthorized", 404: "not_found", 429: "rate_limited",
            500: "internal_server_error", 502: "bad_gateway", 503: "service_unavailable",
            504: "gateway_timeout"}.get(status, "error")


ErrorFn = Callable[..., JSONResponse]


def bearer_auth(token: Callable[[], str], error: ErrorFn) -> Callable[[Request], Response | None]:
    """`Authorization: Bearer TOKEN` (Render, Vercel, Supabase); 401 in the provider's shape otherwise."""
    def check(request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token().encode()):
            return error(401, "unauthorized" if header else "missing authorization header")
        return None
    return check


def pinecone_unauthorized() -> JSONResponse:
    return pinecone_error(401, "Invalid API Key", "UNAUTHENTICATED")


def pinecone_auth(key: Callable[[], str]) -> Callable[[Request], Response | None]:
    """`Api-Key` plus the required `X-Pinecone-Api-Version` header."""
    def check(request: Request) -> Response | None:
        value = request.headers.get("api-key", "")
        if not value or not hmac.compare_digest(value.encode(), key().encode()):
            return pinecone_unauthorized()
        if not request.headers.get("x-pinecone-api-version"):
            return pinecone_error(400, "Missing required header X-Pinecone-Api-Version", "INVALID_ARGUMENT")
        return None
    return check


class Guard:
    """ASGI middleware: chaos first (as a rate limiter or a crashing edge would), then auth."""

    def __init__(self, app, *, auth: Callable[[Request], Response | None], answers: Answers, chaos: Chaos):
        self.app, self.auth, self.answers, self.chaos = app, auth, answers, chaos

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        misbehave = self.chaos.take(f"{scope['method']} {scope['path']}")
        if misbehave is not None:
            response = await self.answers.respond(misbehave)
            if response is not None:
                await response(scope, receive, send)
                return
        denied = self.auth(request)
        if denied is not None:
            await denied(scope, receive, send)
            return
        await self.app(scope, receive, send)


def json_body(raw: bytes) -> dict | list | None:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def build_app(routes: list[Route], *, auth: Callable[[Request], Response | None], error: ErrorFn,
              extra_internal: list[Route] | None = None, unauthorized: Callable[[], Response] | None = None,
              rate_limit_prefix: str = "", counters: Counters | None = None) -> Starlette:
    """A Starlette app with the provider routes, `/_sandbox/ping`, `/_sandbox/chaos` and `/_sandbox/counters`,
    auth and chaos.

    `unauthorized` is the provider's own 401 (default: `error(401, "unauthorized")`, what `bearer_auth`
    answers a wrong token); `rate_limit_prefix` names its rate-limit headers on a 429; `counters` are the
    emulator's side effects since `up` (none: an emulator without side effects answers only `since`).
    """
    chaos = Chaos()
    answers = Answers(error, unauthorized or (lambda: error(401, "unauthorized")), rate_limit_prefix)
    counted = counters or Counters()

    async def ping(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def show_counters(request: Request) -> Response:
        return JSONResponse(counted.to_json())

    internal = [Route("/_sandbox/ping", ping),
                Route("/_sandbox/chaos", chaos_endpoint(chaos), methods=["GET", "POST", "DELETE"]),
                Route("/_sandbox/counters", show_counters)]

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        return error(status, "not found" if status == 404 else "method not allowed")

    app = Starlette(routes=[*internal, *(extra_internal or []), *routes],
                    exception_handlers={404: not_found, 405: not_found})
    app.add_middleware(Guard, auth=auth, answers=answers, chaos=chaos)
    app.state.chaos = chaos
    return app
