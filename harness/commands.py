"""Running the section 3 code gates as commands in the app checkout, with a timeout and kept output."""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TAIL_LINES = 60


@dataclass(frozen=True)
class CommandResult:
    """What a gate command did: its argv, exit code, combined output and duration."""

    argv: tuple[str, ...]
    returncode: int | None  # None: killed at the timeout
    output: str
    duration_s: float

    @property
    def tail(self) -> str:
        return "\n".join(self.output.splitlines()[-TAIL_LINES:])


def render_command(template: str, values: Mapping[str, object]) -> list[str]:
    """Split a runbook command template and fill its `{placeholders}` (python, output, thresholds)."""
    values = {"python": sys.executable, **values}
    try:
        return [part.format(**values) for part in shlex.split(template)]
    except KeyError as exc:
        raise ValueError(f"command {template!r} uses an unknown placeholder {exc}") from None


def run_command(argv: list[str], *, cwd: Path, env: Mapping[str, str], timeout: float) -> CommandResult:
    """Run `argv` in `cwd` in its own process group; kill the whole group at the timeout."""
    started = time.monotonic()
    full_env = {**os.environ, **env}
    try:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, errors="replace", start_new_session=True,
        )
    except OSError as exc:
        return CommandResult(tuple(argv), 127, f"cannot start {argv[0]}: {exc}", 0.0)
    try:
        output, _ = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        output += f"\n[gonogo] killed after {timeout:g} s"
        code = None
    return CommandResult(tuple(argv), code, output, time.monotonic() - started)
