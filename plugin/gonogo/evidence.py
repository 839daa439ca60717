"""The `evidence` fixture: plain-data records of what a test saw, redacted, that cross xdist."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import pytest

from gonogo.redact import redact

BODY_LIMIT = 2000
OUTPUT_TAIL = 4000
# Credentials the request carried; never recorded, whatever their value.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key", "cookie",
                             "set-cookie"})
# Which way a measure improves: it words a difference from the last GO as better or worse.
BETTER = ("higher", "lower")

evidence_key = pytest.StashKey[list[dict[str, Any]]]()
# The ids of the items holding an evidence list: a test's report asks this set, not its stash (cheaper, per report).
holders_key = pytest.StashKey[set[int]]()


def records_of(item: pytest.Item) -> list[dict[str, Any]]:
    """An item's evidence records, the list made at first use (and its item noted on the config)."""
    stash = item.stash
    if evidence_key not in stash:
        stash[evidence_key] = []
        item.config.stash.setdefault(holders_key, set()).add(id(item))
    return stash[evidence_key]


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [{len(text) - limit} more characters]"


class Evidence:
    """What a test keeps to show how it decided: HTTP exchanges, commands, notes, files and measures."""

    def __init__(self, config: pytest.Config, records: list[dict[str, Any]]) -> None:
        self._config = config
        self._records = records

    @property
    def records(self) -> tuple[dict[str, Any], ...]:
        return tuple(self._records)

    def _add(self, record: dict[str, Any]) -> dict[str, Any]:
        self._records.append(record)
        return record

    def _clean(self, text: object) -> str:
        return redact("" if text is None else str(text), self._config)

    def http(self, response: Any, title: str = "") -> dict[str, Any]:
        """Record an httpx-like response: method, URL, status, elapsed, safe headers, a short body."""
        request = getattr(response, "request", None)
        method = str(getattr(request, "method", "") or "")
        url = self._clean(getattr(request, "url", ""))
        try:
            elapsed = response.elapsed.total_seconds()
        except Exception:  # noqa: BLE001 - httpx raises until the body is read; elapsed is optional
            elapsed = None
        try:
            body = response.text
        except Exception as exc:  # noqa: BLE001 - a streamed or binary body is not evidence we need
            body = f"[body unavailable: {type(exc).__name__}]"
        headers = {
            str(k): self._clean(v)
            for k, v in dict(getattr(response, "headers", {}) or {}).items()
            if str(k).lower() not in _SECRET_HEADERS
        }
        status = getattr(response, "status_code", None)
        return self._add({
            "kind": "http", "title": self._clean(title or f"{method} {url}"), "method": method,
            "url": url, "status": status, "elapsed_s": elapsed, "headers": headers,
            "body": _truncate(self._clean(body), BODY_LIMIT),
        })

    def command(self, argv: Sequence[str] | str, returncode: int, output: str = "", title: str = "") -> dict[str, Any]:
        """Record a command, its exit code and the tail of its output."""
        args = [argv] if isinstance(argv, str) else [str(a) for a in argv]
        line = self._clean(" ".join(args))
        text = self._clean(output)
        tail = text[-OUTPUT_TAIL:] if len(text) > OUTPUT_TAIL else text
        return self._add({"kind": "command", "title": self._clean(title) or line, "argv": line,
                          "returncode": int(returncode), "output_tail": tail})

    def note(self, title: str, text: str = "") -> dict[str, Any]:
        """Record a short free-text observation."""
        return self._add({"kind": "note", "title": self._clean(title),
                          "text": _truncate(self._clean(text), BODY_LIMIT)})

    def measure(self, name: str, value: float, unit: str = "", better: str = "higher") -> dict[str, Any]:
        """Record a number the runbook measures (a pass rate, a p95 latency): verdict.json's `measures`, compared
        with the last GO on the same target and judged by the runbook's `[limits]`.

        `better`: "higher" or "lower", which way the number improves. The same name recorded again in a run
        keeps the last value. A bad argument raises at once: it is a mistake in the test.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"evidence.measure: name {name!r} must be a non-empty string")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise TypeError(f"evidence.measure({name!r}): value {value!r} must be a finite number")
        if better not in BETTER:
            raise ValueError(f"evidence.measure({name!r}): better={better!r} must be 'higher' or 'lower'")
        return self._add({"kind": "measure", "title": self._clean(name), "name": name, "value": value,
                          "unit": self._clean(unit), "better": better})

    def attach(self, path: str | os.PathLike[str], title: str = "", mime: str | None = None) -> dict[str, Any]:
        """Record a file (a screenshot, a trace) by its path; the file itself is not copied."""
        full = os.path.abspath(os.fspath(path))
        import mimetypes  # here: most runs attach nothing

        mime = mime or mimetypes.guess_type(full)[0] or "application/octet-stream"
        size = os.path.getsize(full) if os.path.isfile(full) else None
        return self._add({"kind": "file", "title": self._clean(title or os.path.basename(full)),
                          "path": full, "mime": mime, "size": size})


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Keep evidence for the verdict report; it is kept even when the test then fails."""
    return Evidence(request.config, records_of(request.node))
