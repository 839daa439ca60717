"""The demo app checkout under STATE: a copy of sandbox/app_repo made a git repo whose HEAD is the release.

A commit's app build (the `SANDBOX_BUILD` flags of a deploy of it) is its `Sandbox-Build:` trailer, e.g.
`Sandbox-Build: bad-health` in the commit message; without one the build is healthy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from sandbox.config import Commit

TEMPLATE = Path(__file__).resolve().parent / "app_repo"
PREVIOUS_MESSAGE = "feat: feedback learning loop (phase 7)"
RELEASE_MESSAGE = "fix: feedback learning job type"
BRANCH = "main"
BUILD_TRAILER = "Sandbox-Build:"


class CheckoutError(RuntimeError):
    """git failed while making the checkout; the message names the command."""


def _git(repo: Path, *args: str, when: float | None = None) -> str:
    stamp = f"{int(time.time() if when is None else when)} +0000"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "sandbox", "GIT_AUTHOR_EMAIL": "ops@digitalbrains.sandbox.test",
           "GIT_COMMITTER_NAME": "sandbox", "GIT_COMMITTER_EMAIL": "ops@digitalbrains.sandbox.test",
           "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    res = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        raise CheckoutError(f"git {args[0]} in {repo} failed: {res.stderr.strip()[:200]}")
    return res.stdout.strip()


def make_checkout(dest: Path, now: float | None = None) -> tuple[str, str] | None:
    """Copy the template to dest and commit it twice (previous, release; the release tagged
    `release-YYYYMMDD-HHMM`); return (previous sha, release sha), or None without a template or git."""
    if not TEMPLATE.is_dir():
        return None
    shutil.copytree(TEMPLATE, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", ".pytest_cache"))
    if shutil.which("git") is None:
        return None
    now = time.time() if now is None else now
    _git(dest, "init", "-q", "-b", "main", when=now)
    _git(dest, "add", "-A", when=now)
    _git(dest, "commit", "-q", "-m", PREVIOUS_MESSAGE, when=now - 7200)
    previous = _git(dest, "rev-parse", "HEAD", when=now)
    _git(dest, "commit", "-q", "--allow-empty", "-m", RELEASE_MESSAGE, when=now - 3600)
    release = _git(dest, "rev-parse", "HEAD", when=now)
    _git(dest, "tag", time.strftime("release-%Y%m%d-%H%M", time.gmtime(now - 3600)), when=now)
    return previous, release


def branch_head(repo: Path, branch: str = BRANCH) -> str | None:
    """The sha `branch` points at in the checkout, or None (no checkout, no git, no such branch)."""
    if not (repo / ".git").exists() or shutil.which("git") is None:
        return None
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}") or None
    except CheckoutError:
        return None


def read_commit(repo: Path, rev: str) -> Commit | None:
    """The checkout's commit `rev` (a full or unambiguous sha) as a registry Commit, or None if it has none."""
    if not (repo / ".git").exists() or shutil.which("git") is None or not rev or rev.startswith("-"):
        return None
    try:
        out = _git(repo, "log", "-1", "--format=%H%x00%ct%x00%s%x00%B", f"{rev}^{{commit}}", "--")
    except CheckoutError:
        return None
    sha, stamp, subject, body = out.split("\x00", 3)
    build = next((line[len(BUILD_TRAILER):] for line in body.splitlines() if line.startswith(BUILD_TRAILER)), "")
    flags = tuple(f.strip() for f in build.split(",") if f.strip())
    return Commit(sha, subject, flags, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(stamp))))
