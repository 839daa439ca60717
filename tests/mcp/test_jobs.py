"""The runs the tools start (gonogo_mcp/jobs.py), on a small child process: its output masked into its file, the
progress a waiting tool reports, its bound, one run per target, and a run stopped with its session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gonogo_mcp import jobs as running
from gonogo_mcp.workspace import Problem

pytestmark = pytest.mark.anyio

CHILD = ("import sys, time\n"
         "print('token tok-0123456789 in a line', flush=True)\n"
         "for i in range(int(sys.argv[1])):\n"
         "    print(f'poll {i}', flush=True); time.sleep(0.1)\n")


def child(polls: int) -> list[str]:
    return [sys.executable, "-c", CHILD, str(polls)]


def mask(text: str) -> str:
    return text.replace("tok-0123456789", "***")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_a_run_ends_with_its_output_masked_and_progress_on_the_way(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(running, "PROGRESS_EVERY_S", 0.2)
    jobs = running.Jobs()
    ended: list[str] = []
    job = jobs.start("r1", "target t", child(8), cwd=tmp_path, where=tmp_path / "r1", bound_s=60, mask=mask,
                     on_end=lambda j: ended.append(j.state))
    said: list[tuple[float, str]] = []

    async def progress(seconds: float, line: str) -> None:
        said.append((seconds, line))

    await running.wait(job, 30, progress)
    assert (job.state, job.returncode, ended) == ("done", 0, ["done"])
    assert job.output.read_text().splitlines()[0] == "token *** in a line"
    assert job.last_line == "poll 7"
    assert said and all(line.startswith(("poll", "token ***")) for _, line in said)


async def test_a_run_past_its_bound_is_stopped(tmp_path: Path) -> None:
    jobs = running.Jobs()
    job = jobs.start("r2", "target t", child(200), cwd=tmp_path, where=tmp_path / "r2", bound_s=0.5, mask=mask)
    await running.wait(job, 30, lambda s, line: _nothing())
    assert job.state == "timed_out" and gone(job.process.pid)


async def _nothing() -> None:
    return None


async def test_one_run_per_target_and_a_session_end_stops_it(tmp_path: Path) -> None:
    jobs = running.Jobs()
    job = jobs.start("r3", "target t", child(300), cwd=tmp_path, where=tmp_path / "r3", bound_s=60, mask=mask)
    with pytest.raises(Problem, match=r"^target t: run r3 is still going \(.* s so far\); wait for it "
                                      r"\(get_verdict 'r3'\) and try again$"):
        jobs.start("r4", "target t", child(1), cwd=tmp_path, where=tmp_path / "r4", bound_s=60, mask=mask)
    other = jobs.start("r5", "target u", child(1), cwd=tmp_path, where=tmp_path / "r5", bound_s=60, mask=mask)
    jobs.stop_all()
    assert job.state == "stopped" and gone(job.process.pid)
    assert other.done.is_set()
