"""The state directory: pid files (pid + start time, so a reused pid is never killed), status, stop-all."""

from __future__ import annotations

import json
import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

from sandbox.config import write_private
from sandbox.wait import wait_for

READY_FILE = "controlplane.json"  # the daemon writes {"ready": true} or {"ready": false, "error": ...}
# Stop order: the daemon first (so it restarts nothing), then the app, then the data plane.
STOP_ORDER = ("controlplane", "api", "worker", "frontend", "redis", "postgres")
# Entries `down` removes; logs/ stays for a post-mortem until the next `up` clears it.
_REMOVABLE = ("pids", "status.json", "config.json", "faults.json", "controlplane.json", "postgres", "redis", "app_repo",
              "postgres.location")


@dataclass(frozen=True)
class StateDir:
    """Paths under one sandbox state directory."""

    root: Path

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def status(self) -> Path:
        return self.root / "status.json"

    @property
    def faults(self) -> Path:
        return self.root / "faults.json"

    @property
    def app_repo(self) -> Path:
        return self.root / "app_repo"

    def pid_file(self, name: str) -> Path:
        return self.pids / f"{name}.pid"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":
        return None
    return fields[19]


def record_pid(state: StateDir, name: str, pid: int) -> None:
    """Write STATE/pids/NAME.pid as `PID STARTTIME` (replacing an older one)."""
    state.pids.mkdir(parents=True, exist_ok=True)
    path = state.pid_file(name)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{pid} {_start_time(pid) or ''}\n")
    os.replace(tmp, path)


def read_pids(state: StateDir) -> dict[str, int]:
    """The recorded processes that are still the very processes we started."""
    alive: dict[str, int] = {}
    if not state.pids.is_dir():
        return alive
    for path in sorted(state.pids.glob("*.pid")):
        try:
            parts = path.read_text().split()
            pid, started = int(parts[0]), (parts[1] if len(parts) > 1 else None)
        except (OSError, ValueError, IndexError):
            continue
        now = _start_time(pid)
        if now is not None and (started is None or started == now):
            alive[path.stem] = pid
    return alive


def _signal(pid: int, sig: int) -> None:
    # Every process we start leads its own session/group: signal the group so its children go too.
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop_all(state: StateDir, timeout: float = 5.0, only: tuple[str, ...] | None = None) -> list[str]:
    """SIGTERM every recorded process group (postgres: SIGINT, its fast shutdown), wait, SIGKILL; return names.

    `only` limits it to those names (the daemon and its children, when `up` retries on fresh ports).
    """
    pids = {n: p for n, p in read_pids(state).items() if only is None or n in only}
    names = sorted(pids, key=lambda n: STOP_ORDER.index(n) if n in STOP_ORDER else len(STOP_ORDER))
    for name in names:
        _signal(pids[name], signal.SIGINT if name == "postgres" else signal.SIGTERM)
        if name == "controlplane":
            # Give the daemon a moment so it does not restart a child we are about to stop.
            _wait_gone([pids[name]], 1.0)
    remaining = _wait_gone([pids[n] for n in names], timeout)
    for pid in remaining:
        _signal(pid, signal.SIGKILL)
    _wait_gone(remaining, 2.0)
    return names


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until none of pids runs (reaping our own children); return those still running."""
    left = list(pids)

    def gone() -> bool:
        for pid in left:
            _reap(pid)
        left[:] = [p for p in left if _start_time(p) is not None]
        return not left

    wait_for(gone, timeout=timeout, interval=0.03)
    return left


def clean(state: StateDir) -> None:
    """Remove what `up` created (a scratch Postgres dir outside STATE too), keeping logs/."""
    pointer = state.root / "postgres.location"
    if pointer.is_file():
        home = Path(pointer.read_text().strip())
        # services.py puts the cluster in <scratch>/postgres when STATE is not reachable by postgres.
        if home.name == "postgres" and home.parent.name.startswith("sandbox-pg-"):
            shutil.rmtree(home.parent, ignore_errors=True)
    for name in _REMOVABLE:
        path = state.root / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink(missing_ok=True)


def load_faults(state: StateDir) -> dict:
    """STATE/faults.json: the active faults in order and what clearing them needs."""
    try:
        return json.loads(state.faults.read_text())
    except (OSError, ValueError):
        return {"active": [], "saved": {}}


def save_faults(state: StateDir, data: dict) -> None:
    write_private(state.faults, json.dumps(data, indent=2))


def active_faults(state: StateDir) -> list[str]:
    return list(load_faults(state).get("active", []))


def read_status(state: StateDir) -> dict | None:
    try:
        return json.loads(state.status.read_text())
    except (OSError, ValueError):
        return None
