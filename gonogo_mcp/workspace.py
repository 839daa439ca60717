"""What the tools work on: the checkout (its runbook.toml and suites), its reports, the release journal, the
targets, and every secret those targets hold (each answer is masked with all of them).

The targets are the suites' own (`harness.target.load_target`); what production is, the release conductor's
(`release.context.Settings`: a target without a sandbox is a real deployment); their secrets, the conductor's
(`release.context.secrets_of`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gonogo import redact_tree
from gonogo.runbook import Runbook, RunbookError, load_runbook
from harness.target import Target, TargetError, load_target
from release.context import REPO_ROOT, Settings, secrets_of

RUNBOOK = "runbook.toml"


class Problem(Exception):
    """Bad input or a refusal: one line naming the argument, the value and the fix. Nothing was done."""


def argument_words(message: str, argument: str) -> str:
    """A message worded for the command line (`--target X ...`) worded for the tool's argument (`target X ...`)."""
    flag = f"--{argument.replace('_', '-')}"
    return argument + message[len(flag):] if message.startswith(flag) else message


@dataclass
class Workspace:
    """One checkout of the project as the tools see it; lives as long as the server."""

    root: Path
    reports: Path
    journal: str  # the journal the release tools read by default, as `python -m release --journal` takes it
    runbook: Runbook
    _secrets: set[str] = field(default_factory=set)

    @classmethod
    def open(cls, root: str | os.PathLike[str] | None = None, reports: str | os.PathLike[str] | None = None,
             journal: str | None = None) -> Workspace:
        """The checkout at `root` (default: the one holding this package); Problem when it is not one."""
        base = Path(root or REPO_ROOT).expanduser().resolve()
        for name in (RUNBOOK, "pytest.ini"):
            if not (base / name).is_file():
                raise Problem(f"--root {base}: no {name} there; give a checkout of pytest-gonogo")
        try:
            runbook = load_runbook(base / RUNBOOK)
        except RunbookError as exc:
            raise Problem(str(exc)) from None
        workspace = cls(base, Path(reports).expanduser().resolve() if reports else base / "reports",
                        journal or str(base / ".gonogo" / "releases.sqlite"), runbook)
        for name in workspace.tables.get("targets", {}):
            try:  # what each named target holds is masked from the start (the sandbox only when it is up)
                workspace.learn(load_target(name, workspace.tables, base))
            except TargetError:
                pass
        return workspace

    @property
    def tables(self) -> dict[str, Any]:
        """The runbook's tables beside its criteria: targets, thresholds, needs..."""
        return dict(self.runbook.extra)

    @property
    def runs_dir(self) -> Path:
        """Where the stages the tools run keep their reports, one directory per run."""
        return self.reports / "mcp"

    @property
    def releases_dir(self) -> Path:
        return self.reports / "releases"

    # -- targets ---------------------------------------------------------------------------------------
    def target_spec(self, spec: str) -> str:
        """A target name as given; a PATH.toml made absolute (relative to the checkout), as the journal keeps it."""
        spec = spec.strip()
        if not (spec.endswith(".toml") or "/" in spec):
            return spec
        path = Path(spec).expanduser()
        return str(path if path.is_absolute() else (self.root / path).resolve())

    def target(self, spec: str) -> Target:
        """The target `spec` names, loaded as the suites load it; its secrets join those every answer masks."""
        spec = self.target_spec(spec)
        try:
            target = load_target(spec, self.tables, self.root)
        except TargetError as exc:
            message = argument_words(str(exc), "target")
            raise Problem(message if message.startswith(("target", spec)) else f"target {spec}: {message}") from None
        self.learn(target)
        return target

    def production(self, target: Target) -> bool:
        return Settings.for_target(target, self.tables).production

    def require_confirmation(self, tool: str, target: Target, confirm: bool, *, every_target: str = "") -> None:
        """Refuse a tool that changes something on production (or, with `every_target`, anywhere) unless the
        caller said `confirm: true`."""
        if confirm:
            return
        if every_target:
            raise Problem(f"{tool} on target {target.name}: {every_target}; pass confirm: true to go ahead")
        if self.production(target):
            raise Problem(f"{tool} on target {target.name}: a production target, and this changes it; nothing was "
                          "done; pass confirm: true to go ahead")

    # -- secrets ---------------------------------------------------------------------------------------
    def learn(self, target: Target) -> None:
        self._secrets.update(secrets_of(target))

    def learn_spec(self, spec: str | None) -> None:
        """The secrets of a target recorded with a run or a release, when it still loads."""
        if spec:
            try:
                self.target(spec)
            except Problem:
                pass

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(sorted(self._secrets))

    def mask(self, value: Any) -> Any:
        """`value` with every known secret, and gonogo's built-in credential patterns, replaced by ***."""
        return redact_tree(value, self.secrets)

