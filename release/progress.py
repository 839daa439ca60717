"""What the conductor prints: a line when each step starts and ends, a line per poll of a long wait.

Every line goes through `gonogo.redact_text` with the target's secrets and the release's env values. On a
terminal a poll rewrites its own line; with `CI=true` or without a terminal each poll is a plain line (the
rule and the words of harness/progress.py, which the soak's own progress line uses too).
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from datetime import datetime
from typing import TextIO

from gonogo import redact_text
from harness.progress import plain_output, poll_line, seconds

__all__ = ["Progress", "plain_output", "seconds"]


class Progress:
    def __init__(self, stream: TextIO | None = None, secrets: Iterable[str] = ()) -> None:
        self.stream = stream or sys.stdout
        self.plain = plain_output(self.stream)
        self.secrets = [s for s in secrets if s and len(s) >= 4]
        self._open_poll = False
        self.started = time.monotonic()

    def add_secrets(self, values: Iterable[str]) -> None:
        self.secrets += [v for v in values if v and len(v) >= 4 and v not in self.secrets]

    def mask(self, text: str) -> str:
        return redact_text(text, self.secrets)

    def line(self, text: str) -> None:
        self._close_poll()
        self.stream.write(self.mask(text) + "\n")
        self.stream.flush()

    def step_started(self, letter: str, name: str, title: str) -> None:
        self.line(f"[{letter}] {name}: started - {title}")

    def step_ended(self, letter: str, name: str, outcome: str, elapsed: float, detail: str = "") -> None:
        summary = (detail.splitlines() or [""])[0]
        self.line(f"[{letter}] {name}: {outcome} in {seconds(elapsed)}" + (f" - {summary}" if summary else ""))

    def poll(self, what: str, elapsed: float, remaining: float | None, status: str,
             at: datetime | None = None) -> None:
        """One poll of a wait: what, elapsed, remaining, when it was polled (default now), what was seen."""
        self.poll_text(poll_line(what, elapsed, remaining, status, at))

    def poll_text(self, line: str) -> None:
        """A poll line already worded (the soak stage's own, relayed): rewritten on a terminal, else plain."""
        text = self.mask(f"    {line}")
        if self.plain:
            self.stream.write(text + "\n")
        else:
            self.stream.write("\r\x1b[2K" + text)
            self._open_poll = True
        self.stream.flush()

    def _close_poll(self) -> None:
        if self._open_poll:
            self.stream.write("\n")
            self._open_poll = False
