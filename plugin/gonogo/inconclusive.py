"""The third outcome: a test whose means of observing failed ends inconclusive, neither passed nor failed."""

from __future__ import annotations

from typing import Any

import pytest

MESSAGE_LIMIT = 300
# How the terminal shows an inconclusive test (pytest_report_teststatus: category, letter, word).
TESTSTATUS = ("inconclusive", "I", ("INCONCLUSIVE", {"yellow": True}))
HOOK = "pytest_gonogo_inconclusive_exceptions"


class Inconclusive(Exception):
    """Raise when what a test depends on to observe failed, not what it judges.

    In a test or a fixture (setup or teardown): the test's outcome is then ``inconclusive`` and its message
    ``reason``. A provider that timed out, refused our token or answered 5xx says nothing about the app.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def exception_types(config: pytest.Config) -> tuple[type[BaseException], ...]:
    """`Inconclusive` and every type the project's hook implementations name (their union).

    Asked once per session where tests run. A broken implementation (it raises, or answers with something
    that is not an exception type) is a usage error naming it: a wrong answer would turn failures of the
    app into inconclusive tests, or the reverse, without a word.
    """
    types: dict[type[BaseException], None] = {Inconclusive: None}
    for impl in reversed(getattr(config.hook, HOOK).get_hookimpls()):
        # The file to fix (a conftest.py, the binding's module), else the plugin's name.
        where = getattr(impl.plugin, "__file__", None) or getattr(impl.plugin, "__name__", None) or impl.plugin_name
        try:
            answer = impl.function(*({"config": config}[name] for name in impl.argnames))
            for kind in answer or ():
                if not (isinstance(kind, type) and issubclass(kind, BaseException)):
                    raise TypeError(f"answered {kind!r}, not an exception type")
                types[kind] = None
        except Exception as exc:  # noqa: BLE001 - reported as one line naming the hook and the fix
            raise pytest.UsageError(f"gonogo: {HOOK} in {where} failed ({type(exc).__name__}: {exc}); "
                                    "return an iterable of exception classes") from None
    return tuple(types)


def message_of(exc: BaseException) -> str:
    """The one line an inconclusive test reports: the reason given, or a registered error's type and text."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else ""
    if not isinstance(exc, Inconclusive):
        # The provider's own error says which call failed; its type says how (timeout, 5xx, refused token).
        line = f"{type(exc).__name__}: {line}" if line else type(exc).__name__
    return line[:MESSAGE_LIMIT]


class InconclusiveStatus:
    """Registered at the first inconclusive report only: a run without one pays nothing per report."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: Any) -> Any:
        # Only a failed report (not a rerun, not an xfail: their plugins changed its outcome) carries the mark.
        if report.outcome == "failed" and "inconclusive" in (report.__dict__.get("gonogo") or ()):
            return TESTSTATUS
        return None


__all__ = ["Inconclusive", "InconclusiveStatus", "exception_types", "message_of"]
