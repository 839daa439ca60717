"""The long runs a tool starts (a stage's pytest run, `python -m release resume`): one subprocess each, bounded,
its output masked into a file as it comes, waited on for a while by the tool that started it, then by whoever
asks for it.

One run per target at a time from this server. A run dies with the server (the same parent-death signal the
conductor's stages use), and every run still going when a client session ends is stopped then.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from gonogo_mcp.workspace import Problem
from release.steps.stage import die_with_parent

TAIL_LINES = 40
STOP_GRACE_S = 20.0
PROGRESS_EVERY_S = 5.0


@dataclass
class Job:
    id: str
    key: str  # what only one run may hold at a time: "target NAME"
    where: Path
    bound_s: float
    process: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    returncode: int | None = None
    timed_out: bool = False
    stopped: bool = False  # by the end of its session or of the server, not by itself
    tail: deque = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def output(self) -> Path:
        return self.where / "output.txt"

    @property
    def state(self) -> str:
        if self.returncode is None:  # set once the process is gone and its output read, before `done`
            return "running"
        return "timed_out" if self.timed_out else "stopped" if self.stopped else "done"

    @property
    def elapsed_s(self) -> float:
        return round(time.monotonic() - self.started, 1)

    @property
    def last_line(self) -> str:
        return next((line for line in reversed(self.tail) if line.strip()), "")


class Jobs:
    """The runs this server started, by id."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def start(self, job_id: str, key: str, argv: list[str], *, cwd: Path, where: Path, bound_s: float,
              mask: Callable[[str], str], on_end: Callable[[Job], None] = lambda job: None) -> Job:
        """Start `argv`; Problem when a run holding `key` is still going. Call it on the event loop's thread:
        the child's parent-death signal belongs to the thread that starts it."""
        with self._lock:
            busy = next((j for j in self._jobs.values() if j.key == key and not j.done.is_set()), None)
            if busy is not None:
                raise Problem(f"{key}: run {busy.id} is still going ({busy.elapsed_s:g} s so far); wait for it "
                              f"(get_verdict {busy.id!r}) and try again")
            where.mkdir(parents=True, exist_ok=True)
            # stdin closed: on the stdio transport the server's stdin is the protocol, never the child's.
            process = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True, errors="replace",
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
                                       preexec_fn=die_with_parent)
            job = Job(job_id, key, where, bound_s, process)
            self._jobs[job_id] = job
        reader = threading.Thread(target=_read, args=(job, mask), daemon=True, name=f"gonogo-mcp-read-{job_id}")
        reader.start()
        threading.Thread(target=_watch, args=(job, reader, on_end), daemon=True,
                         name=f"gonogo-mcp-watch-{job_id}").start()
        return job

    def stop_all(self) -> None:
        """Stop every run still going (the end of a session, the end of the server)."""
        for job in list(self._jobs.values()):
            if not job.done.is_set():
                job.stopped = True
                _stop(job.process)
        for job in list(self._jobs.values()):
            job.done.wait(STOP_GRACE_S + 5)


async def wait(job: Job, wait_s: float, progress: Callable[[float, str], Awaitable[None]]) -> None:
    """Wait up to `wait_s` for the run to end, reporting progress (seconds, its last line) every few seconds."""
    deadline = time.monotonic() + max(0.0, wait_s)
    said = time.monotonic()
    while not job.done.is_set() and time.monotonic() < deadline:
        await anyio.sleep(0.2)
        if time.monotonic() - said >= PROGRESS_EVERY_S:
            said = time.monotonic()
            await progress(job.elapsed_s, job.last_line)


def _read(job: Job, mask: Callable[[str], str]) -> None:
    with job.output.open("w") as log:
        for line in job.process.stdout:
            masked = mask(line)
            log.write(masked)
            log.flush()
            job.tail.append(masked.rstrip("\n"))


def _watch(job: Job, reader: threading.Thread, on_end: Callable[[Job], None]) -> None:
    try:
        returncode = job.process.wait(timeout=job.bound_s)
    except subprocess.TimeoutExpired:
        job.timed_out = True
        _stop(job.process)
        returncode = job.process.wait()
    reader.join(timeout=10)
    job.returncode = returncode
    try:
        on_end(job)
    finally:
        job.done.set()


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the run's process group (pytest and what it started), SIGKILL after a grace period."""
    for sig, grace in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
