"""Starts, replaces and watches the app processes (API, worker, frontend); records their pids."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import services
from sandbox.state import StateDir, record_pid
from sandbox.wait import wait_for

MODULES = {"api": "sandbox.app.api", "worker": "sandbox.app.worker", "frontend": "sandbox.app.frontend"}
START_TIMEOUT_S = 15.0
# A process without a port (the worker) counts as started when it is still alive after this long.
SETTLE_S = 0.6


@dataclass
class Running:
    """One live process of a role, and the instance name its log lines are labelled with."""

    pid: int
    instance: str
    started: float
    proc: object = field(repr=False, default=None)


class Supervisor:
    """One process per role; `replace` stops the old one and starts the new one on the same port."""

    def __init__(self, state: StateDir, ports: dict[str, int], log_names: dict[str, str]):
        self.state, self.ports, self.log_names = state, ports, log_names
        self.running: dict[str, Running] = {}
        # (start time, instance) per role, so a log line's time tells which instance wrote it.
        self.history: dict[str, list[tuple[float, str]]] = {r: [] for r in MODULES}
        self.locks = {role: asyncio.Lock() for role in MODULES}

    def log_path(self, role: str) -> Path:
        return self.state.logs / self.log_names[role]

    async def replace(self, role: str, env: dict[str, str], instance: str) -> bool:
        """Stop the role's process, start one with env; True once it listens (or, worker, stays up)."""
        full = dict(env)
        if role in ("api", "frontend"):
            full.update(HOST="127.0.0.1", PORT=str(self.ports[role]))
        await self.stop(role)
        proc = services.start_app_process(MODULES[role], full, self.log_path(role))
        now = time.time()
        self.running[role] = Running(proc.pid, instance, now, proc)
        self.history[role].append((now, instance))
        record_pid(self.state, role, proc.pid)
        return await self._wait_started(role, proc)

    async def _wait_started(self, role: str, proc) -> bool:
        """Waited for in a thread, so the daemon's loop goes on serving the emulators meanwhile."""
        if role == "worker":
            exited = await asyncio.to_thread(wait_for, lambda: proc.poll() is not None, timeout=SETTLE_S,
                                             interval=0.05)
            return not exited
        port = self.ports[role]
        outcome = await asyncio.to_thread(
            wait_for, lambda: "exited" if proc.poll() is not None else ("listens" if _listens(port) else None),
            timeout=START_TIMEOUT_S, interval=0.05)
        return outcome == "listens"

    async def stop(self, role: str) -> None:
        current = self.running.pop(role, None)
        if current is None:
            return
        await asyncio.to_thread(services.stop_pid, current.pid, 5)
        if current.proc is not None:
            try:
                current.proc.wait(timeout=0.5)
            except Exception:  # noqa: BLE001 - already reaped by stop_pid: nothing left to wait for
                pass
        self.state.pid_file(role).unlink(missing_ok=True)

    async def stop_all(self) -> None:
        await asyncio.gather(*(self.stop(role) for role in list(self.running)))

    def instance_at(self, role: str, ts: float) -> str:
        name = ""
        for started, instance in self.history.get(role, []):
            if started <= ts + 1.0:
                name = instance
        return name or (self.history[role][0][1] if self.history.get(role) else "")

    def pid(self, role: str) -> int | None:
        current = self.running.get(role)
        return current.pid if current else None

    def alive(self, role: str) -> bool:
        current = self.running.get(role)
        return bool(current and current.proc is not None and current.proc.poll() is None)


def _listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def proc_sample(pid: int) -> tuple[float, int] | None:
    """(cpu seconds used, resident bytes) of pid and its children, from /proc; None when gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            rss_kb = next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    return cpu, rss_kb * 1024
