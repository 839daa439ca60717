"""Provider chaos: the misbehaviours a release gate must survive, switched on per emulator.

`POST /_sandbox/chaos {"mode", "count", "retry_after", "delay_s"}` on an emulator makes its next `count`
provider calls (0 or "always": every call) misbehave; `GET` shows the switch, `DELETE` resets it. The
`/_sandbox/` routes themselves never misbehave, so chaos can always be cleared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

# What each mode answers (sandbox/README.md, "Chaos"):
MODES = {
    "429": "429 with Retry-After and the provider's rate-limit headers",
    "500": "500 in the provider's error shape",
    "503": "503 Service Unavailable in the provider's error shape",
    "flaky-502": "502 before every success: each method + path answers 502 once, then normally on the retry",
    "slow": "the normal answer after delay_s (default 2 s)",
    "hang": "holds the request delay_s (default 30 s, longer than a client's timeout), then 504",
    "malformed": "200 application/json cut off mid-object",
    "html": "200 text/html: a proxy's error page instead of JSON",
    "unauthorized": "401 in the provider's own shape: the token is refused",
}
DEFAULT_DELAY_S = {"slow": 2.0, "hang": 30.0}
ALWAYS = "always"
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
             b"<body><h1>502 Bad Gateway</h1><p>The upstream server did not answer. Please try again.</p>"
             b"<hr><center>edge-proxy</center></body></html>\n")


class ChaosError(ValueError):
    """A chaos request that cannot be applied; the message names the field and the allowed values."""


def parse_count(raw: object) -> int | None:
    """`count`: a whole number >= 1, or 0 / "always" for every request (None)."""
    if raw == ALWAYS or raw == 0:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ChaosError(f'count must be a whole number >= 0 or "always" (0 and "always": every request); '
                         f"got {raw!r}")
    return raw


@dataclass(frozen=True)
class Misbehaviour:
    """What one request gets: a snapshot of the switch at the time it was taken."""

    mode: str
    retry_after: int
    delay_s: float


@dataclass
class Chaos:
    """The switch of one emulator: the mode and how many more requests misbehave (None: every one)."""

    mode: str = ""
    remaining: int | None = 0
    retry_after: int = 1
    delay_s: float | None = None
    # flaky-502: the request keys (method + path) whose last answer was the 502, so their retry succeeds.
    failed: set[str] = field(default_factory=set)

    def set(self, body: dict) -> None:
        mode = body.get("mode")
        if mode not in MODES:
            raise ChaosError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        remaining = parse_count(body.get("count", 1))
        retry_after, delay_s = body.get("retry_after", 1), body.get("delay_s")
        if isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0:
            raise ChaosError(f"retry_after must be a whole number of seconds >= 0; got {retry_after!r}")
        if delay_s is not None and (isinstance(delay_s, bool) or not isinstance(delay_s, int | float) or delay_s < 0):
            raise ChaosError(f"delay_s must be a number of seconds >= 0; got {delay_s!r}")
        self.mode, self.remaining, self.retry_after, self.delay_s = mode, remaining, retry_after, delay_s
        self.failed.clear()

    def clear(self) -> None:
        self.mode, self.remaining, self.delay_s = "", 0, None
        self.failed.clear()

    @property
    def active(self) -> bool:
        return bool(self.mode) and (self.remaining is None or self.remaining > 0)

    def take(self, key: str) -> Misbehaviour | None:
        """The misbehaviour for this request (method + path), or None: answer normally."""
        if self.mode == "flaky-502" and key in self.failed:
            self.failed.discard(key)  # the retry after a 502 succeeds (and costs no count)
            return None
        if not self.active:
            return None
        if self.remaining is not None:
            self.remaining -= 1
        if self.mode == "flaky-502":
            self.failed.add(key)
        delay = self.delay_s if self.delay_s is not None else DEFAULT_DELAY_S.get(self.mode, 0.0)
        return Misbehaviour(self.mode, self.retry_after, float(delay))

    def to_json(self) -> dict:
        count = ALWAYS if self.remaining is None else self.remaining
        return {"mode": self.mode if self.active else "", "count": count if self.active else 0,
                "retry_after": self.retry_after, "delay_s": self.delay_s}


ErrorFn = Callable[..., JSONResponse]


@dataclass(frozen=True)
class Answers:
    """How one provider answers when it misbehaves: its error shape, its 401, its rate-limit headers."""

    error: ErrorFn
    unauthorized: Callable[[], Response]
    # Render `Ratelimit-*`, Supabase and Vercel `X-RateLimit-*`, Pinecone none recorded
    # (docs/providers.md#rate-limits).
    rate_limit_prefix: str = ""

    async def respond(self, m: Misbehaviour) -> Response | None:
        """The response to send instead of the provider's, or None to answer normally (after a delay)."""
        if m.mode == "429":
            response = self.error(429, "rate limit exceeded", "rate_limited")
            response.headers["Retry-After"] = str(m.retry_after)
            if self.rate_limit_prefix:
                response.headers.update({f"{self.rate_limit_prefix}Limit": "100",
                                         f"{self.rate_limit_prefix}Remaining": "0",
                                         f"{self.rate_limit_prefix}Reset": str(m.retry_after)})
            return response
        if m.mode in ("500", "503"):
            status = int(m.mode)
            return self.error(status, "internal server error" if status == 500 else "service unavailable")
        if m.mode == "flaky-502":
            return self.error(502, "bad gateway")
        if m.mode == "slow":
            await asyncio.sleep(m.delay_s)
            return None
        if m.mode == "hang":
            # Only this request waits (the loop goes on serving the others); a client with a shorter
            # timeout has long given up when the edge finally answers.
            await asyncio.sleep(m.delay_s)
            return self.error(504, "gateway timeout")
        if m.mode == "html":
            return Response(HTML_PAGE, status_code=200, media_type="text/html")
        if m.mode == "unauthorized":
            return self.unauthorized()
        # malformed: a 200 that claims JSON but is cut off mid-object.
        return Response(b'{"id": "truncated', status_code=200, media_type="application/json")


def chaos_endpoint(chaos: Chaos) -> Callable:
    """`GET|POST|DELETE /_sandbox/chaos` (token-free, internal)."""
    async def endpoint(request: Request) -> Response:
        if request.method == "DELETE":
            chaos.clear()
        elif request.method == "POST":
            try:
                body = await request.json()
                if not isinstance(body, dict):
                    raise ChaosError('body must be {"mode": ..., "count": ..., "retry_after": ..., "delay_s": ...}')
                chaos.set(body)
            except (ChaosError, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(chaos.to_json())
    return endpoint
