"""Where a long wait stands, for a person: on a terminal one line rewritten at every poll; with `CI=true` or
without a terminal (a pipe, a log file) a plain line per poll, so a CI log keeps every one.

The soak's `progress` fixture prints through pytest's terminal reporter; the release conductor
(`release.progress`) prints straight to its stream, by the same rule and in the same words.
"""
from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import TextIO

import pytest

PREFIX = "[gonogo] "


def plain_output(stream: TextIO) -> bool:
    """True with `CI=true` or when `stream` is not a terminal: no rewritten line, every poll its own."""
    return os.environ.get("CI", "").lower() == "true" or not stream.isatty()


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(int(round(value)), 60)
    return f"{minutes} min {rest:02d} s"


def poll_line(what: str, elapsed: float, remaining: float | None, seen: str, at: datetime | None = None) -> str:
    """`soak: 12.0 s elapsed, 8.0 s left, last poll 10:00:12Z: no P0/P1 in app logs`."""
    at = (at or datetime.now(UTC)).astimezone(UTC)
    left = "-" if remaining is None else seconds(max(0.0, remaining))
    return f"{what}: {seconds(elapsed)} elapsed, {left} left, last poll {at:%H:%M:%S}Z: {seen}"


class ReporterProgress:
    """The `progress` fixture: `progress(text)` prints a line, `progress.poll(...)` the state of a wait.

    Written through pytest's terminal reporter with capture suspended, so it shows while the test runs
    (`-q` or `-v`); a rewritten line is ended before any other output and when the test ends (`close`).
    """

    def __init__(self, config: pytest.Config) -> None:
        self._reporter = config.pluginmanager.get_plugin("terminalreporter")
        self._capture = config.pluginmanager.get_plugin("capturemanager")
        self._config = config
        self._open = False
        self.plain = True
        if self._reporter is not None and self._capture is not None:
            with self._capture.global_and_fixture_disabled():
                # The real stdout, where the reporter writes; capture has it replaced elsewhere.
                self.plain = plain_output(sys.stdout)

    def _write(self, text: str, *, rewrite: bool) -> None:
        if self._reporter is None or self._capture is None:
            return  # -p no:terminal, or an xdist worker: nobody would see it
        with self._capture.global_and_fixture_disabled():
            if rewrite:
                width = self._config.get_terminal_writer().fullwidth
                line = text if len(text) < width else text[: max(0, width - 4)] + "..."
                if not self._open:
                    self._reporter.ensure_newline()  # leave pytest's own line (a test id, dots) alone
                self._reporter.rewrite(line, erase=True)
                self._open = True
            else:
                self._end_line()
                self._reporter.write_line(text)

    def _end_line(self) -> None:
        if self._open:
            self._reporter.write("\n")
            self._open = False

    def __call__(self, text: str) -> None:
        self._write(PREFIX + text, rewrite=False)

    def poll(self, what: str, elapsed: float, remaining: float | None, seen: str,
             at: datetime | None = None) -> None:
        self._write(PREFIX + poll_line(what, elapsed, remaining, seen, at), rewrite=not self.plain)

    def close(self) -> None:
        if self._reporter is not None and self._capture is not None:
            with self._capture.global_and_fixture_disabled():
                self._end_line()
