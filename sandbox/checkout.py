"""The demo app checkout under STATE: a copy of sandbox/app_repo made a git repo whose `main` is the release,
with the next release on the branch `next`.

A commit's app build (the `SANDBOX_BUILD` flags of a deploy of it) is its `Sandbox-Build:` trailer, e.g.
`Sandbox-Build: bad-health` in the commit message; without one the build is healthy.

`main`: two commits (previous, release; the release tagged `release-YYYYMMDD-HHMM`), the migrations `up`
applies in `supabase/migrations/` (copied from sandbox/app/migrations, the one source). `next`: one commit
on top of main, the next release: the migrations of sandbox/app/next_release/ added and one env change in
`release.env.toml`. It is written with git plumbing (a private index), so the work tree stays on main.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sandbox.app.db import MIGRATIONS_DIR
from sandbox.config import Commit, SandboxConfig

TEMPLATE = Path(__file__).resolve().parent / "app_repo"
PREVIOUS_MESSAGE = "feat: feedback learning loop (phase 7)"
RELEASE_MESSAGE = "fix: feedback learning job type"
BRANCH = "main"
BUILD_TRAILER = "Sandbox-Build:"
MIGRATIONS_PATH = "supabase/migrations"  # the Supabase CLI's place: <14-digit version>_<name>.sql
ENV_FILE = "release.env.toml"

# The next release: its commit message, its new migrations (files of this directory) and its one env change
# (table, key, value) in the release env file: a key no service has today, which the app ignores.
NEXT_BRANCH = "next"
NEXT_MESSAGE = "feat: persona tone setting"
NEXT_MIGRATIONS = MIGRATIONS_DIR.parent / "next_release"
NEXT_ENV = ("render_api", "PERSONA_TONE_DEFAULT", "warm")


class CheckoutError(RuntimeError):
    """git failed while making the checkout; the message names the command."""


@dataclass(frozen=True)
class Checkout:
    """The commits of a fresh checkout: main's two and the next release's."""

    previous: str
    release: str
    next: str


def _git(repo: Path, *args: str, when: float | None = None, index: Path | None = None,
         stdin: str | None = None) -> str:
    stamp = f"{int(time.time() if when is None else when)} +0000"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "sandbox", "GIT_AUTHOR_EMAIL": "ops@digitalbrains.sandbox.test",
           "GIT_COMMITTER_NAME": "sandbox", "GIT_COMMITTER_EMAIL": "ops@digitalbrains.sandbox.test",
           "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
           **({"GIT_INDEX_FILE": str(index)} if index else {})}
    res = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, timeout=30,
                         input=stdin)
    if res.returncode != 0:
        raise CheckoutError(f"git {args[0]} in {repo} failed: {res.stderr.strip()[:200]}")
    return res.stdout.strip()


def make_checkout(dest: Path, now: float | None = None) -> Checkout | None:
    """Copy the template (and the applied migrations) to dest, commit it twice (previous, release; the
    release tagged `release-YYYYMMDD-HHMM`) and write `next`; None without a template or git."""
    if not TEMPLATE.is_dir():
        return None
    shutil.copytree(TEMPLATE, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", ".pytest_cache"))
    shutil.copytree(MIGRATIONS_DIR, dest / MIGRATIONS_PATH, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
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
    return Checkout(previous, release, write_next(dest, (), when=now - 600))


def _next_env_file(text: str) -> str:
    """The release env file with the next release's change: `KEY = "value"` first in its table."""
    table, key, value = NEXT_ENV
    line = f'{key} = "{value}"'
    lines = text.splitlines()
    if f"[{table}]" not in lines:
        return text.rstrip("\n") + f"\n\n[{table}]\n{line}\n"
    at = lines.index(f"[{table}]") + 1
    return "\n".join([*lines[:at], line, *lines[at:]]) + "\n"


def _show(repo: Path, spec: str) -> str:
    """A file of a commit (`sha:path`), or "" when that commit has no such file."""
    try:
        return _git(repo, "show", spec) + "\n"
    except CheckoutError:
        return ""


def write_next(repo: Path, build: tuple[str, ...], when: float | None = None) -> str:
    """(Re)write `next`: one commit on its base (main at first; its parent afterwards) with the next
    release's files and `build` as its Sandbox-Build trailer; return its sha.

    Same base, build and date give the same commit, so rewriting to what is there already is a no-op;
    a rewrite keeps the commit's date (the default), so `--reset` brings back the very first sha.
    """
    current = branch_head(repo, NEXT_BRANCH)
    base = _git(repo, "rev-parse", f"{current}^" if current else BRANCH)
    if when is None:
        when = float(_git(repo, "log", "-1", "--format=%ct", current)) if current else time.time()
    index = repo / ".git" / "sandbox-next.index"
    try:
        _git(repo, "read-tree", base, index=index)
        files = {f"{MIGRATIONS_PATH}/{p.name}": p.read_text() for p in sorted(NEXT_MIGRATIONS.glob("*.sql"))}
        files[ENV_FILE] = _next_env_file(_show(repo, f"{base}:{ENV_FILE}"))
        for path, text in files.items():
            blob = _git(repo, "hash-object", "-w", "--stdin", stdin=text)
            _git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", index=index)
        tree = _git(repo, "write-tree", index=index)
    finally:
        index.unlink(missing_ok=True)
    message = NEXT_MESSAGE + (f"\n\n{BUILD_TRAILER} {','.join(build)}" if build else "")
    sha = _git(repo, "commit-tree", tree, "-p", base, "-m", message, when=when)
    _git(repo, "update-ref", f"refs/heads/{NEXT_BRANCH}", sha)
    return sha


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


def find_commit(config: SandboxConfig, repo: Path | None, sha: str) -> Commit | None:
    """A registered commit, or one the checkout has (registered now, its build from its trailer)."""
    commit = config.commit(sha)
    if commit is None and repo is not None:
        found = read_commit(repo, sha)
        commit = config.register(found) if found else None
    return commit
