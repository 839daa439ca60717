"""What every emulator shares: auth as the provider checks it, its error shape, and the chaos switch."""

from __future__ import annotations

import asyncio
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CHAOS_MODES = ("429", "500", "slow", "malformed")


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
            500: "internal_server_error"}.get(status, "error")


ErrorFn = Callable[..., JSONResponse]


@dataclass
class Chaos:
    """The next `count` calls misbehave in `mode` (429 with Retry-After, 500, slow, malformed JSON)."""

    mode: str = ""
    count: int = 0
    retry_after: int = 1
    delay_s: float = 2.0

    def take(self) -> Chaos | None:
        if self.count <= 0 or not self.mode:
            return None
        self.count -= 1
        return Chaos(self.mode, 1, self.retry_after, self.delay_s)


def bearer_auth(token: Callable[[], str], error: ErrorFn) -> Callable[[Request], Response | None]:
    """`Authorization: Bearer TOKEN` (Render, Vercel, Supabase); 401 in the provider's shape otherwise."""
    def check(request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token().encode()):
            return error(401, "unauthorized" if header else "missing authorization header")
        return None
    return check


def pinecone_auth(key: Callable[[], str]) -> Callable[[Request], Response | None]:
    """`Api-Key` plus the required `X-Pinecone-Api-Version` header."""
    def check(request: Request) -> Response | None:
        value = request.headers.get("api-key", "")
        if not value or not hmac.compare_digest(value.encode(), key().encode()):
            return pinecone_error(401, "Invalid API Key", "UNAUTHENTICATED")
        if not request.headers.get("x-pinecone-api-version"):
            return pinecone_error(400, "Missing required header X-Pinecone-Api-Version", "INVALID_ARGUMENT")
        return None
    return check


class Guard:
    """ASGI middleware: chaos first (as a rate limiter or a crashing edge would), then auth."""

    def __init__(self, app, *, auth: Callable[[Request], Response | None], error: ErrorFn, chaos: Chaos):
        self.app, self.auth, self.error, self.chaos = app, auth, error, chaos

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        misbehave = self.chaos.take()
        if misbehave is not None:
            response = await self._chaos(misbehave)
            if response is not None:
                await response(scope, receive, send)
                return
        denied = self.auth(request)
        if denied is not None:
            await denied(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _chaos(self, c: Chaos) -> Response | None:
        if c.mode == "429":
            headers = {"Retry-After": str(c.retry_after), "RateLimit-Limit": "100",
                       "RateLimit-Remaining": "0", "RateLimit-Reset": str(c.retry_after)}
            response = self.error(429, "rate limit exceeded", "rate_limited")
            response.headers.update(headers)
            return response
        if c.mode == "500":
            return self.error(500, "internal server error")
        if c.mode == "slow":
            await asyncio.sleep(c.delay_s)
            return None
        # malformed: a 200 that claims JSON but is cut off mid-object.
        return Response(b'{"id": "truncated', status_code=200, media_type="application/json")


def json_body(raw: bytes) -> dict | list | None:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def build_app(routes: list[Route], *, auth: Callable[[Request], Response | None], error: ErrorFn,
              extra_internal: list[Route] | None = None) -> Starlette:
    """A Starlette app with the provider routes, `/_sandbox/ping` and `/_sandbox/chaos`, auth and chaos."""
    chaos = Chaos()

    async def ping(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def set_chaos(request: Request) -> Response:
        if request.method == "DELETE":
            chaos.count = 0
            return JSONResponse({"mode": "", "count": 0})
        body = json_body(await request.body())
        if not isinstance(body, dict) or body.get("mode") not in CHAOS_MODES:
            return JSONResponse({"error": f"mode must be one of {', '.join(CHAOS_MODES)}"}, status_code=400)
        chaos.mode = body["mode"]
        chaos.count = int(body.get("count", 1))
        chaos.retry_after = int(body.get("retry_after", 1))
        chaos.delay_s = float(body.get("delay_s", 2.0))
        return JSONResponse({"mode": chaos.mode, "count": chaos.count})

    internal = [Route("/_sandbox/ping", ping), Route("/_sandbox/chaos", set_chaos, methods=["POST", "DELETE"])]
    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        return error(status, "not found" if status == 404 else "method not allowed")

    app = Starlette(routes=[*internal, *(extra_internal or []), *routes],
                    exception_handlers={404: not_found, 405: not_found})
    app.add_middleware(Guard, auth=auth, error=error, chaos=chaos)
    app.state.chaos = chaos
    return app
