"""What a step returns, and the helpers the action steps share (a journaled side effect, a bounded wait)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from release.context import Context
from release.journal import Step

T = TypeVar("T")


@dataclass(frozen=True)
class Result:
    """How a step ended: `done`, `failed` (the release ends NO-GO) or `held` (resume re-runs it)."""

    state: str
    outcome: str  # done | failed | GO | NO-GO | INCONCLUSIVE
    detail: str
    evidence: dict = field(default_factory=dict)
    waited_s: float = 0.0
    exit_code: int | None = None  # a stage's pytest exit code when it decides the release's
    rolled_back: dict | None = None  # a NO-GO stage's rollback (verdict.json `rollback`)

    @classmethod
    def done(cls, detail: str, evidence: dict | None = None, waited_s: float = 0.0) -> Result:
        return cls("done", "done", detail, evidence or {}, waited_s)

    @classmethod
    def failed(cls, detail: str, evidence: dict | None = None, waited_s: float = 0.0, exit_code: int = 1) -> Result:
        return cls("failed", "failed", detail, evidence or {}, waited_s, exit_code)


class StepFailed(Exception):
    """An action step cannot go on; the message says what the world looks like and what to do."""


def effect(ctx: Context, step: Step, kind: str, subject: str, scope: str, call: Callable[[], T],
           ref: Callable[[T], str | None] = lambda _: None) -> T:
    """One side effect: recorded `intended` before the call and `applied` (with its id) after it."""
    effect_id = ctx.journal.intend(ctx.release.id, step.name, kind, subject, scope)
    value = call()
    ctx.journal.applied(effect_id, ref(value))
    return value


def wait(ctx: Context, what: str, read: Callable[[], T], done: Callable[[T], bool], describe: Callable[[T], str],
         timeout: float) -> tuple[T, float, bool]:
    """Poll `read` until `done` or `timeout`; a progress line per poll. Returns (last value, waited s, done)."""
    started = time.monotonic()
    while True:
        value = read()
        elapsed = time.monotonic() - started
        finished = done(value)
        ctx.progress.poll(what, elapsed, timeout - elapsed, describe(value))
        ctx.journal.touch()
        if finished or elapsed >= timeout:
            return value, elapsed, finished
        time.sleep(min(ctx.settings.poll_interval_s, max(0.0, timeout - elapsed)))
