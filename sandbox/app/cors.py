"""CORS from ALLOWED_ORIGINS, as a small ASGI middleware (a foreign origin gets no CORS headers)."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


class CorsMiddleware:
    def __init__(self, app: ASGIApp, allowed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.any_origin = "*" in allowed_origins
        self.allowed = {o for o in allowed_origins if o != "*"}

    def allow_origin_value(self, origin: str) -> str | None:
        """The Access-Control-Allow-Origin to send for origin, or None when it is not allowed."""
        if self.any_origin:
            return "*"
        return origin if origin.rstrip("/") in self.allowed else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if not origin:
            await self.app(scope, receive, send)
            return
        allow = self.allow_origin_value(origin)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(allow, headers)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and allow is not None:
                out = MutableHeaders(scope=message)
                out["Access-Control-Allow-Origin"] = allow
                out.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    def _preflight(allow: str | None, headers: Headers) -> PlainTextResponse:
        if allow is None:
            # Same answer as Starlette's CORSMiddleware: refused, and no CORS headers at all.
            return PlainTextResponse("Disallowed CORS origin", status_code=400)
        return PlainTextResponse("OK", status_code=200, headers={
            "Access-Control-Allow-Origin": allow,
            "Access-Control-Allow-Methods": ALLOW_METHODS,
            "Access-Control-Allow-Headers": headers.get("access-control-request-headers", "")
            or "authorization, content-type",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        })
