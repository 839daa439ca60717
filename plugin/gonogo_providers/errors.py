"""The one exception tree every provider client raises (mapped once, in `_http.py`)."""

from __future__ import annotations

from urllib.parse import urlsplit


class ProviderError(Exception):
    """A provider call that did not give a usable answer.

    `url` never carries a secret (sensitive query values are replaced by `***` before the error is
    built) and no header is ever kept, so `str()` and `repr()` are safe to print, log and report.
    """

    def __init__(
        self,
        *,
        provider: str,
        method: str,
        url: str,
        status: int | None = None,
        attempts: int = 1,
        reason: str = "",
        detail: str = "",
    ) -> None:
        self.provider = provider
        self.method = method
        self.url = url
        self.status = status
        self.attempts = attempts
        self.detail = detail
        what = reason or (f"answered {status}" if status is not None else "failed")
        message = f"{provider}: {method} {url} {what}"
        if attempts > 1:
            message += f" after {attempts} attempts"
        if detail:
            message += f": {detail}"
        self.message = message
        super().__init__(message)

    @property
    def call(self) -> str:
        """The call as `METHOD /path` (no host, no query): what an operator needs to find it again."""
        return f"{self.method} {urlsplit(self.url).path or self.url}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __reduce__(self):
        # Keyword-only __init__ defeats Exception's default pickling (process pools, some test runners).
        return _rebuild, (type(self), self.__dict__.copy())


def _rebuild(kind: type[ProviderError], state: dict) -> ProviderError:
    error = kind.__new__(kind)
    Exception.__init__(error, state["message"])
    error.__dict__.update(state)
    return error


class AuthError(ProviderError):
    """401 or 403: the credential is missing, wrong or lacks a scope (never retried).

    `credential` names the credential the provider refused, as the caller labelled it (an env var name
    such as `RENDER_API_KEY`, never its value), so the message says who refused what.
    """

    def __init__(self, *, credential: str = "its credential", reason: str = "", **fields) -> None:
        self.credential = credential
        if not reason:
            status = fields.get("status")
            reason = f"answered {status}: {fields['provider']} refused {credential}"
        super().__init__(reason=reason, **fields)


class NotFoundError(ProviderError):
    """404: the service, deploy, project or index named in the call does not exist."""


class RateLimitedError(ProviderError):
    """429 still answered when the attempts or the wait budget ran out."""


class ServerError(ProviderError):
    """5xx still answered when the attempts or the wait budget ran out."""


class ProviderTimeout(ProviderError):
    """Connect or read timeouts on every attempt."""


class ProviderUnreachable(ProviderError):
    """The connection itself failed on every attempt (refused, reset, DNS)."""


class MalformedResponse(ProviderError):
    """The body is not JSON, or not the shape docs/providers.md records for this call."""


class PaginationLimitExceeded(ProviderError):
    """A listing had more pages than the client's bound: fail closed rather than judge a partial list."""


__all__ = [
    "AuthError",
    "MalformedResponse",
    "NotFoundError",
    "PaginationLimitExceeded",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnreachable",
    "RateLimitedError",
    "ServerError",
]
