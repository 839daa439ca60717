"""The `progress` fixture: on a terminal one line rewritten at every poll; with CI=true or a pipe, a line per poll.

Run for real: pytest in a subprocess whose stdout is a pseudo-terminal, or a pipe.
"""
from __future__ import annotations

import os
import pty
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.progress import poll_line

REPO_ROOT = Path(__file__).resolve().parents[2]
A_WAIT = """
from datetime import UTC, datetime


def test_a_long_wait(progress):
    for i in range(3):
        progress.poll("soak", i * 5.0, 10 - i * 5.0, f"poll {i} saw nothing",
                      at=datetime(2026, 11, 24, 10, 0, i, tzinfo=UTC))
    progress("the wait is over")
"""


def _run(tmp_path: Path, *, terminal: bool, ci: bool) -> str:
    (tmp_path / "test_wait.py").write_text(A_WAIT)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env.update(PYTHONPATH=str(REPO_ROOT), COLUMNS="120", TERM="xterm", **({"CI": "true"} if ci else {}))
    argv = [sys.executable, "-m", "pytest", "-p", "harness.fixtures", "-p", "no:cacheprovider", "-c", os.devnull,
            "--rootdir", str(tmp_path), "-q", "test_wait.py"]
    if not terminal:
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout
    parent, child = pty.openpty()
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdin=child, stdout=child, stderr=child)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(parent, 4096)
        except OSError:  # EIO: the child side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(parent)
    assert proc.wait(timeout=60) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


def test_the_poll_line_says_elapsed_remaining_last_poll_and_what_was_seen():
    at = datetime(2026, 11, 24, 10, 0, 12, tzinfo=UTC)
    assert poll_line("soak", 12, 1788, "no P0/P1 in app logs", at) == \
        "soak: 12.0 s elapsed, 29 min 48 s left, last poll 10:00:12Z: no P0/P1 in app logs"
    assert poll_line("deploy api", 3, None, "build_in_progress", at).startswith("deploy api: 3.0 s elapsed, - left")


def test_on_a_terminal_one_line_is_rewritten(tmp_path):
    out = _run(tmp_path, terminal=True, ci=False)
    assert "\r[gonogo] soak: 0.0 s elapsed, 10.0 s left, last poll 10:00:00Z: poll 0 saw nothing" in out, out
    assert "\r[gonogo] soak: 10.0 s elapsed, 0.0 s left, last poll 10:00:02Z: poll 2 saw nothing" in out, out
    # No newline between polls: the next one rewrites the same line...
    assert "\n" not in out[out.index("poll 0 saw"):out.index("poll 2 saw")], repr(out)
    # ...which is ended before anything else is printed.
    assert "\n" in out[out.index("poll 2 saw"):out.index("[gonogo] the wait is over")], repr(out)
    assert "1 passed" in out


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal-with-CI"])
def test_in_ci_or_a_pipe_every_poll_is_a_plain_line(tmp_path, terminal):
    out = _run(tmp_path, terminal=terminal, ci=terminal)
    lines = [line.rstrip("\r") for line in out.split("\n")]
    polls = [line for line in lines if line.startswith("[gonogo] soak:")]
    assert polls == [f"[gonogo] soak: {i * 5:.1f} s elapsed, {10 - i * 5:.1f} s left, last poll 10:00:0{i}Z: "
                     f"poll {i} saw nothing" for i in range(3)], repr(out)
    assert "\r[gonogo]" not in out and "[gonogo] the wait is over" in lines
