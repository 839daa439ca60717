"""Collect the rollback actions from the hook and plan or run each one, isolated, with a timeout."""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from gonogo.redact import redact
from gonogo.runbook import POST_DEPLOY_STAGES
from gonogo.settings import RollbackMode  # defined with the settings (loaded by every run); importable here too
from gonogo.verdict import Outcome, Status, Verdict


@dataclass(frozen=True)
class RollbackAction:
    """One step of the rollback playbook: a name and a callable that does it and verifies it."""

    name: str
    run: Callable[[], object]
    # What the action will do, shown when it is only planned.
    detail: str = ""


class ActionStatus(str, enum.Enum):
    PLANNED = "planned"
    DONE = "done"
    FAILED = "failed"
    NOT_RUN = "not_run"  # listed on INCONCLUSIVE: what would be rolled back, never run


@dataclass(frozen=True)
class ActionOutcome:
    name: str
    status: ActionStatus
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status.value, "detail": self.detail}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ActionOutcome:
        return cls(str(data["name"]), ActionStatus(data["status"]), str(data.get("detail", "")))


@dataclass(frozen=True)
class RollbackResult:
    """What the rollback did: triggered (planned or run) on NO-GO, or withheld (listed, not run) on INCONCLUSIVE."""

    mode: RollbackMode
    triggered: bool = False
    scopes: tuple[str, ...] = ()
    actions: tuple[ActionOutcome, ...] = field(default_factory=tuple)
    withheld: bool = False

    @property
    def failed(self) -> bool:
        return any(a.status is ActionStatus.FAILED for a in self.actions)

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "triggered": self.triggered, "withheld": self.withheld,
                "scopes": list(self.scopes), "actions": [a.to_json() for a in self.actions]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RollbackResult:
        """The rollback of a verdict.json (its `rollback` object; none at all reads as mode off)."""
        data = data or {}
        return cls(RollbackMode(data.get("mode", "off")), bool(data.get("triggered")),
                   tuple(str(s) for s in data.get("scopes", ())),
                   tuple(ActionOutcome.from_json(a) for a in data.get("actions", ())), bool(data.get("withheld")))


# Which criteria pick the scopes, by verdict word. Only evidence of a problem picks what to roll back: on
# NO-GO the blocking criteria that failed or errored (one that did not run says nothing about which part of
# the deploy is bad). On INCONCLUSIVE the inconclusive ones pick what is listed, never run: what we look
# through failed, not the app. GO rolls nothing back.
_SCOPED_BY = {Outcome.NO_GO: (Status.FAILED, Status.ERROR), Outcome.INCONCLUSIVE: (Status.INCONCLUSIVE,)}


def rollback_scopes(verdict: Verdict) -> tuple[str, ...]:
    """The union of the rollback scopes of the blocking criteria that picked them (see _SCOPED_BY)."""
    statuses = _SCOPED_BY.get(verdict.outcome, ())
    return tuple(sorted({s for r in verdict.not_proven() if r.status in statuses for s in r.criterion.rollback}))


def should_trigger(verdict: Verdict, mode: RollbackMode) -> bool:
    """Only a NO-GO or INCONCLUSIVE run that included a stage after the deploy asks for actions."""
    return (mode is not RollbackMode.OFF and verdict.outcome in _SCOPED_BY
            and bool(POST_DEPLOY_STAGES & set(verdict.stages)))


def perform(config: pytest.Config, verdict: Verdict, mode: RollbackMode, timeout: float) -> RollbackResult:
    """Ask the hook for actions (once) and record them as planned, or run them in `auto` mode.

    On INCONCLUSIVE they are listed as not run, whatever the mode: no action is ever called.
    """
    scopes = rollback_scopes(verdict)
    if not should_trigger(verdict, mode) or not scopes:
        return RollbackResult(mode)
    actions, outcomes = _collect(config, verdict, scopes)
    if verdict.outcome is not Outcome.NO_GO:
        outcomes += [ActionOutcome(a.name, ActionStatus.NOT_RUN, redact(a.detail, config)) for a in actions]
        return RollbackResult(mode, False, scopes, tuple(outcomes), withheld=True)
    for action in actions:
        if mode is RollbackMode.PLAN:
            outcomes.append(ActionOutcome(action.name, ActionStatus.PLANNED, redact(action.detail, config)))
        else:
            outcomes.append(_run_one(config, action, timeout))
    return RollbackResult(mode, True, scopes, tuple(outcomes))


def _collect(
    config: pytest.Config, verdict: Verdict, scopes: tuple[str, ...]
) -> tuple[list[RollbackAction], list[ActionOutcome]]:
    actions: list[RollbackAction] = []
    problems: list[ActionOutcome] = []
    kwargs = {"config": config, "verdict": verdict, "scopes": scopes}
    # pluggy stops at the first raising implementation; call each one apart (in hook order) instead.
    for impl in reversed(config.hook.pytest_gonogo_rollback_actions.get_hookimpls()):
        where = getattr(impl.plugin, "__name__", None) or impl.plugin_name
        try:
            answer = impl.function(*(kwargs[name] for name in impl.argnames))
            for action in answer or ():
                if not isinstance(action, RollbackAction):
                    raise TypeError(f"returned {type(action).__name__}, not gonogo.RollbackAction")
                actions.append(action)
        except Exception as exc:  # noqa: BLE001 - user code; recorded, never fatal
            problems.append(ActionOutcome(f"collect rollback actions from {where}", ActionStatus.FAILED,
                                          redact(f"{type(exc).__name__}: {exc}", config)))
    return actions, problems


def _run_one(config: pytest.Config, action: RollbackAction, timeout: float) -> ActionOutcome:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = action.run()
        except BaseException as exc:  # noqa: BLE001 - one action must never stop the others
            box["error"] = exc

    # A daemon thread: an action stuck past its timeout is abandoned, not allowed to hang the run.
    worker = threading.Thread(target=target, name=f"gonogo-rollback:{action.name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return ActionOutcome(action.name, ActionStatus.FAILED, f"timed out after {timeout:g} s")
    if "error" in box:
        exc = box["error"]
        return ActionOutcome(action.name, ActionStatus.FAILED, redact(f"{type(exc).__name__}: {exc}", config))
    result = box.get("result")
    return ActionOutcome(action.name, ActionStatus.DONE, redact("" if result is None else str(result), config))
