"""Every use gonogo makes of pytest's or pytest-xdist's private internals, in one place.

Each function says what it reaches into and why no public API does it. pyproject.toml bounds pytest to
the majors the plugin's tests run on (the lowest and the highest supported, see the Makefile), so a
new major that moves one of these fails those tests instead of silently switching a feature off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def compile_markexpr(markexpr: str) -> Callable[[str], bool]:
    """A predicate telling whether a bare marker name satisfies the `-m` expression.

    Private: `_pytest.mark.expression.Expression` is pytest's own parser of `-m`; gonogo needs the stages
    in scope to be exactly what `-m` selects, and no public API evaluates an expression. In pytest 8.0
    `evaluate` passes the name alone; later versions may pass keyword arguments too (marker arguments in
    `-m "name(arg=1)"`): the matcher accepts both. Raises on a malformed expression (pytest reports it).
    """
    from _pytest.mark.expression import Expression

    expression = Expression.compile(markexpr)
    return lambda marker: expression.evaluate(lambda name, /, **kwargs: name == marker)


def terminal_writer(config: pytest.Config) -> Any:
    """pytest's terminal writer, or None (no terminal reporter).

    Private: `TerminalReporter._tw`. Every line pytest prints (the `-v` ids, captured output, warnings,
    short summary, live logs) goes through this writer's stream; replacing the stream is the one place a
    secret can be masked on its way to the terminal.
    """
    return getattr(config.pluginmanager.get_plugin("terminalreporter"), "_tw", None)


def writer_stream(writer: Any) -> Any:
    """The stream a terminal writer prints to. Private: `TerminalWriter._file` (no public accessor)."""
    return getattr(writer, "_file", None)


def set_writer_stream(writer: Any, stream: Any) -> None:
    """Make a terminal writer print to `stream`. Private: `TerminalWriter._file` (no public setter)."""
    writer._file = stream


def is_report_repr(value: Any) -> bool:
    """Whether `value` is one of pytest's failure-representation objects (ExceptionRepr, ReprEntry, ...).

    Private: those classes live in `_pytest._code.code` and are not exported; their attributes hold the
    crash message, source lines and `--showlocals` values that redaction must mask in place (keeping the
    structure, so the terminal's crash line and JUnit's message stay short).
    """
    return hasattr(value, "__dict__") and type(value).__module__.startswith("_pytest")


def stop_xdist_controller(config: pytest.Config, why: str) -> None:
    """Ask pytest-xdist's controller loop to stop handing out tests and shut its workers down.

    Private: `DSession.shouldstop`. `session.shouldstop` is public, but xdist's controller loop reads only
    its own flag; an `abort` criterion must stop every worker, not only let the current one finish.
    """
    dsession = config.pluginmanager.getplugin("dsession")
    if dsession is not None and not getattr(dsession, "shouldstop", True):
        dsession.shouldstop = why


# The option each report's own plugin reads its path from: `--junitxml` (pytest's junitxml) and `--html`
# (pytest-html). Private: these `dest` names are the plugins' internals, not a documented API.
_REPORT_DEST = {"junit": "xmlpath", "html": "htmlpath"}


def report_option(config: pytest.Config, kind: str) -> str | None:
    """The path given for a report of another plugin (`junit`: --junitxml, `html`: --html), or None."""
    return getattr(config.option, _REPORT_DEST[kind], None) or None


def ask_for_report(config: pytest.Config, kind: str, path: str) -> None:
    """Make another plugin write its report to `path`, as if the user had given its flag.

    Private: sets the plugin's option value (see _REPORT_DEST). It works only before that plugin's own
    `pytest_configure` reads it (junitxml and pytest-html register their writer there), hence gonogo's
    tryfirst `pytest_configure`; no public API asks another plugin for a report.
    """
    setattr(config.option, _REPORT_DEST[kind], path)
    if kind == "html":
        # One file a reviewer can mail or archive: styles, scripts and images inline.
        config.option.self_contained_html = True


__all__ = ["ask_for_report", "compile_markexpr", "is_report_repr", "report_option", "set_writer_stream",
           "stop_xdist_controller", "terminal_writer", "writer_stream"]
