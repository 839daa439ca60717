"""Replace secrets (declared values, bearer/basic credentials, JWTs, API keys) with ***."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

MASK = "***"
# Shorter values would mask ordinary words and digits everywhere.
MIN_SECRET_LEN = 4

# The rules' patterns, compiled at their first use: the trigger below spares most runs from ever needing them
# (compiling is paid by every pytest run where gonogo is installed, at import).
_RULES = (
    # A JWT whose middle a repr elided (pytest's saferepr: head "..." tail): the tail holds the signature.
    (r"eyJ[A-Za-z0-9_.-]*?\.\.\.[A-Za-z0-9_.-]*", MASK),
    # JWTs first: a bearer token is often one, and either rule alone masks it fully.
    (r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", MASK),
    (r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}", r"\1" + MASK),
    (r"(?i)\b(basic\s+)[A-Za-z0-9+/]{8,}={0,2}", r"\1" + MASK),
    # `Api-Key: v`, `x-api-key=v`, `"api_key": "v"`: the header or field name stays, the value goes.
    (r"(?i)(api[-_]?key[\"']?\s*[:=]\s*[\"']?)(?!\*\*\*)[^\s\"',;&}]+", r"\1" + MASK),
)


@functools.cache
def _builtin() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern), replacement) for pattern, replacement in _RULES)


# A cheap first look: text with none of these cannot match a built-in rule (most text, most of the time).
_TRIGGER = re.compile(r"(?i)eyJ|bearer|basic|api[-_]?key")
_TRIGGER_WORDS = ("eyj", "bearer", "basic", "api-key", "api_key", "apikey")
# The hook's answer, asked once per test at most (forgotten after each test), not at every one of the many redactions.
_secrets_key = pytest.StashKey["AskedSecrets"]()


def _spellings(secret: str) -> set[str]:
    """The secret and its URL-encoded forms: in a query string or a path it is written percent-encoded."""
    return {secret, quote(secret, safe=""), quote(secret, safe="/:@"), quote_plus(secret)}


@functools.lru_cache(maxsize=32)
def _secret_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    usable = sorted({f for s in secrets if len(s) >= MIN_SECRET_LEN for f in _spellings(s)}, key=len, reverse=True)
    if not usable:
        return None
    # Longest first, so a secret that contains another is masked whole.
    return re.compile("|".join(re.escape(s) for s in usable))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask the given secret values and the built-in credential patterns in `text`."""
    if not text:
        return text
    pattern = _secret_pattern(tuple(s for s in secrets if isinstance(s, str)))
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if _TRIGGER.search(text) is None:
        return text
    for regex, replacement in _builtin():
        text = regex.sub(replacement, text)
    return text


def might_hold_secret(text: str, secrets: Iterable[str] = ()) -> bool:
    """Whether `redact_text` could change `text` (one search each; False means it certainly would not)."""
    pattern = _secret_pattern(tuple(s for s in secrets if isinstance(s, str)))
    if pattern is not None and pattern.search(text) is not None:
        return True
    # The built-in rules' trigger, as plain substring searches of one lowercased copy (a long text, such
    # as a whole verdict, is searched much faster this way than by the case-insensitive pattern).
    low = text.lower()
    return any(word in low for word in _TRIGGER_WORDS)


class AskedSecrets:
    """The hook's answer for one config, kept until forgotten (forgotten after each test)."""

    __slots__ = ("config", "answer")

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.answer: tuple[str, ...] | None = None

    def get(self) -> tuple[str, ...]:
        if self.answer is None:
            hook = getattr(self.config.hook, "pytest_gonogo_secrets", None)
            found: list[str] = []
            if hook is not None:
                for answer in hook(config=self.config):
                    if answer:
                        found.extend(str(s) for s in answer if s)
            self.answer = tuple(found)
        return self.answer

    def forget(self) -> None:
        self.answer = None


def asked_secrets(config: pytest.Config) -> AskedSecrets:
    """The config's kept answer of `pytest_gonogo_secrets` (one per config; a recorder holds on to it)."""
    if _secrets_key in config.stash:  # not Stash.get: it raises and catches a KeyError when absent
        return config.stash[_secrets_key]
    asked = config.stash[_secrets_key] = AskedSecrets(config)
    return asked


def secrets_of(config: pytest.Config) -> tuple[str, ...]:
    """Every secret that the implementations of `pytest_gonogo_secrets` declare (asked once per test)."""
    return asked_secrets(config).get()


def redact_tree(value: Any, secrets: Iterable[str]) -> Any:
    """Plain data (a JSON value: dicts, lists, tuples, strings) with every string masked, keys too; tuples come back
    as lists, as JSON would write them."""
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {redact_tree(k, secrets): redact_tree(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_tree(v, secrets) for v in value]
    return value


def redact(text: str, config: pytest.Config) -> str:
    """Mask every secret known to `config` (hook answers and built-in patterns) in `text`."""
    return redact_text(text, secrets_of(config))
