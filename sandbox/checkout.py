"""The demo app checkout under STATE: a copy of sandbox/app_repo made a git repo whose HEAD is the release."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "app_repo"
PREVIOUS_MESSAGE = "feat: feedback learning loop (phase 7)"
RELEASE_MESSAGE = "fix: feedback learning job type"


class CheckoutError(RuntimeError):
    """git failed while making the checkout; the message names the command."""


def _git(repo: Path, *args: str, when: float) -> str:
    stamp = f"{int(when)} +0000"
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
