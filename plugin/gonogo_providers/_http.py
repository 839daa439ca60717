"""Shared transport for the provider clients: auth, timeouts, bounded retries, JSON, error mapping."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from gonogo_providers.errors import (
    AuthError,
    MalformedResponse,
    NotFoundError,
    PaginationLimitExceeded,
    ProviderError,
    ProviderTimeout,
    ProviderUnreachable,
    RateLimitedError,
    ServerError,
)

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_ATTEMPTS = 4
DEFAULT_MAX_WAIT_S = 30.0
DEFAULT_MAX_PAGES = 50
# Backoff between attempts: 0.5 s, 1 s, 2 s ... capped, each scaled by a jitter in [0.5, 1].
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 8.0
# Methods a retry after a 5xx or a read timeout cannot duplicate. A POST (trigger a deploy) is only
# retried when the server certainly did not act on it: 429, or the connection never opened.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Query parameters whose values are never echoed into a message.
_SENSITIVE_PARAM = re.compile(r"token|key|secret|passw|signature|auth|credential|sig", re.IGNORECASE)
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")
REDACTED = "***"


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>` (Render, Vercel, Supabase)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request):  # type: ignore[override]
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return f"{type(self).__name__}({REDACTED})"


class PineconeAuth(httpx.Auth):
    """Pinecone's `Api-Key` header plus the pinned `X-Pinecone-Api-Version` (the body shape depends on it)."""

    def __init__(self, api_key: str, api_version: str) -> None:
        self._api_key = api_key
        self._api_version = api_version

    def auth_flow(self, request: httpx.Request):  # type: ignore[override]
        request.headers["Api-Key"] = self._api_key
        request.headers["X-Pinecone-Api-Version"] = self._api_version
        yield request

    def __repr__(self) -> str:
        return f"{type(self).__name__}({REDACTED}, {self._api_version!r})"


@dataclass(frozen=True)
class Exchange:
    """One HTTP attempt, as evidence: no headers, no body, the URL already redacted."""

    provider: str
    method: str
    url: str
    status: int | None
    attempt: int
    elapsed_s: float
    error: str = ""


def redact_url(url: httpx.URL | str) -> str:
    """The URL with the values of sensitive-looking query parameters replaced by `***`."""
    url = httpx.URL(str(url))
    if not url.query:
        return str(url)
    pairs = [(k, REDACTED if _SENSITIVE_PARAM.search(k) else v) for k, v in url.params.multi_items()]
    # Keep `***`, commas and colons readable in messages rather than percent-encoded.
    return f"{url.copy_with(query=None)}?{urlencode(pairs, safe='*,:')}"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every known secret and any bearer token replaced by `***`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return _BEARER.sub(rf"\g<1>{REDACTED}", text)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


# Rate-limit reset headers, read only when a 429 carries no Retry-After (docs/providers.md#rate-limits):
# Render sends `Ratelimit-Reset`, Supabase and Vercel `X-RateLimit-Reset` (header names are case-insensitive).
RESET_HEADERS = ("RateLimit-Reset", "X-RateLimit-Reset")
# Below this a reset value is a delay in seconds; from it on an epoch in seconds; from 1e12 on in milliseconds.
# (No real delay is 30 years long, and no epoch in seconds reaches 1e12 before the year 33658.)
_EPOCH_S_FROM = 1e9
_EPOCH_MS_FROM = 1e12


def parse_rate_limit_reset(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a rate-limit reset header; None when absent or bad.

    Whether the value is a delay or an epoch is UNCONFIRMED (Render's docs call it "UTC epoch seconds"
    and show `45`), so both readings are accepted: a small number is a delay, a large one an epoch in
    seconds or milliseconds (docs/providers.md#rate-limits).
    """
    if not value:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if number != number or number < 0:  # NaN or negative
        return None
    if number < _EPOCH_S_FROM:
        return number
    epoch_s = number / 1000 if number >= _EPOCH_MS_FROM else number
    now = now or datetime.now(UTC)
    return max(0.0, epoch_s - now.timestamp())


def _rate_limit_wait(response: httpx.Response) -> tuple[float | None, str]:
    """The wait a 429 asks for and the header that said so: `Retry-After` first, else a reset header."""
    wait = parse_retry_after(response.headers.get("Retry-After"))
    if wait is not None:
        return wait, "Retry-After"
    for name in RESET_HEADERS:
        wait = parse_rate_limit_reset(response.headers.get(name))
        if wait is not None:
            # Named as the provider spelled it (Render: `Ratelimit-Reset`), so the message matches its docs.
            spelled = next((k.decode("latin-1") for k, _ in response.headers.raw
                            if k.decode("latin-1").lower() == name.lower()), name)
            return wait, spelled
    return None, ""


def parse_time(value: Any) -> datetime | None:
    """An RFC3339 timestamp (`2026-08-21T10:00:00.123Z`) as an aware datetime; None when absent or bad."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime | str) -> str:
    """RFC3339 in UTC with a `Z`, as Render's `format: date-time` params expect; strings pass through."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ProviderClient:
    """Base of every client: one place for timeouts, retries, JSON decoding and error mapping."""

    provider: ClassVar[str] = "provider"
    # What a refused credential is called when the caller gives no label (`credential=`).
    default_credential: ClassVar[str] = "the credential"

    def __init__(
        self,
        *,
        auth: httpx.Auth,
        secrets: tuple[str, ...],
        base_url: str,
        credential: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_wait: float = DEFAULT_MAX_WAIT_S,
        max_pages: int = DEFAULT_MAX_PAGES,
        sleep: Callable[[float], None] = time.sleep,
        on_exchange: Callable[[Exchange], None] | None = None,
    ) -> None:
        if client is not None and transport is not None:
            raise ValueError(f"{self.provider}: pass client= or transport=, not both")
        if max_attempts < 1 or max_pages < 1 or timeout <= 0 or max_wait < 0:
            raise ValueError(
                f"{self.provider}: max_attempts and max_pages must be >= 1, timeout > 0, max_wait >= 0"
            )
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.max_attempts = max_attempts
        self.max_wait = float(max_wait)
        self.max_pages = max_pages
        self._auth = auth
        self._secrets = tuple(s for s in secrets if s)
        # A label (an env var name), never the value: an AuthError says which credential was refused.
        # Scrubbed all the same, in case a caller passed the secret itself.
        self.credential = scrub(credential or self.default_credential, self._secrets)
        self._sleep = sleep
        self._on_exchange = on_exchange
        self._owns_client = client is None
        # Auth and timeout go on every request, so a caller's own client gets them too.
        self._client = client or httpx.Client(transport=transport, timeout=self.timeout)

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the underlying httpx.Client if this client created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    # -- requests --------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        ok: tuple[int, ...] = (200,),
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send with bounded retries; return a response whose status is in `ok`, else raise."""
        method = method.upper()
        url = self.base_url + path
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        shown = redact_url(httpx.URL(url, params=clean))
        safe_to_repeat = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            retry_after: float | None = None
            asked_by = "Retry-After"
            try:
                response = self._client.request(
                    method, url, params=clean, json=json, auth=self._auth, timeout=self.timeout
                )
            except httpx.TimeoutException as exc:
                self._record(method, shown, None, attempt, started, type(exc).__name__)
                # A connect timeout never reached the server; a read timeout may have acted already.
                retryable = safe_to_repeat or isinstance(exc, httpx.ConnectTimeout)
                error: ProviderError = ProviderTimeout(
                    provider=self.provider, method=method, url=shown, attempts=attempt,
                    reason=f"timed out ({type(exc).__name__}, timeout {self.timeout:g} s)",
                )
            except httpx.TransportError as exc:
                self._record(method, shown, None, attempt, started, type(exc).__name__)
                retryable = safe_to_repeat or isinstance(exc, httpx.ConnectError)
                error = ProviderUnreachable(
                    provider=self.provider, method=method, url=shown, attempts=attempt,
                    reason=f"could not connect ({type(exc).__name__})",
                )
            else:
                status = response.status_code
                self._record(method, shown, status, attempt, started)
                if status in ok:
                    return response
                error = self._status_error(response, method, shown, attempt)
                if status == 429:
                    retryable = True  # the server refused before acting, so always safe to repeat
                    retry_after, asked_by = _rate_limit_wait(response)
                elif status >= 500:
                    retryable = safe_to_repeat
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                else:
                    raise error  # 4xx: repeating cannot change the answer
                response.close()
            if not retryable or attempt >= self.max_attempts:
                raise error
            wait = self._backoff(attempt) if retry_after is None else retry_after
            remaining = self.max_wait - waited
            if retry_after is not None and retry_after > remaining:
                # The server asked for longer than the budget; retrying sooner would only be refused.
                note = f"{asked_by} {retry_after:g} s exceeds the remaining retry budget of {remaining:g} s"
                raise type(error)(
                    provider=error.provider, method=error.method, url=error.url, status=error.status,
                    attempts=error.attempts, detail="; ".join(x for x in (note, error.detail) if x),
                )
            if remaining <= 0:
                raise error
            wait = min(wait, remaining)
            self._sleep(wait)
            waited += wait

    def _backoff(self, attempt: int) -> float:
        return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)

    def _status_error(
        self, response: httpx.Response, method: str, url: str, attempt: int
    ) -> ProviderError:
        status = response.status_code
        kind: type[ProviderError]
        if status in (401, 403):
            return AuthError(
                provider=self.provider, method=method, url=url, status=status, attempts=attempt,
                detail=self._error_detail(response), credential=self.credential,
            )
        if status == 404:
            kind = NotFoundError
        elif status == 429:
            kind = RateLimitedError
        elif status >= 500:
            kind = ServerError
        else:
            kind = ProviderError
        return kind(
            provider=self.provider, method=method, url=url, status=status, attempts=attempt,
            detail=self._error_detail(response),
        )

    def _error_detail(self, response: httpx.Response) -> str:
        """The provider's own error message (Render `message`, Vercel/Pinecone `error.message`), scrubbed."""
        try:
            body = response.json()
        except ValueError:
            return ""
        text: Any = ""
        if isinstance(body, dict):
            err = body.get("error")
            text = body.get("message") or (err.get("message") if isinstance(err, dict) else err) or ""
        return scrub(str(text), self._secrets)[:200] if text else ""

    def _record(
        self, method: str, url: str, status: int | None, attempt: int, started: float, error: str = ""
    ) -> None:
        if self._on_exchange is not None:
            self._on_exchange(Exchange(self.provider, method, url, status, attempt,
                                       round(time.monotonic() - started, 4), error))

    # -- JSON ------------------------------------------------------------------------------------
    def _json(self, response: httpx.Response) -> Any:
        """The decoded body; MalformedResponse (naming the call) when it is not JSON."""
        try:
            return response.json()
        except ValueError:
            raise self._malformed(response, "a body that is not JSON") from None

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._json(self._request("GET", path, params=params))

    def _malformed(self, response: httpx.Response, what: str) -> MalformedResponse:
        return MalformedResponse(
            provider=self.provider, method=response.request.method,
            url=redact_url(response.request.url), status=response.status_code,
            reason=f"answered {response.status_code} with {what}",
        )

    def _expect_list(self, response: httpx.Response, body: Any, what: str) -> list[Any]:
        if not isinstance(body, list):
            raise self._malformed(response, f"{type(body).__name__} where {what} (a JSON array) was expected")
        return body

    def _expect_dict(self, response: httpx.Response, body: Any, what: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise self._malformed(response, f"{type(body).__name__} where {what} (a JSON object) was expected")
        return body

    def _too_many_pages(self, method: str, path: str) -> ProviderError:
        return PaginationLimitExceeded(
            provider=self.provider, method=method, url=redact_url(self.base_url + path),
            reason=f"has more than {self.max_pages} pages (max_pages); refusing to judge a partial list",
        )


def require_credential(provider: str, name: str, value: str) -> str:
    """The credential, or a ValueError naming the constructor argument (never its value)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{provider}: {name} is empty; pass the secret from its environment variable")
    return value
