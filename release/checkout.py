"""The app checkout, read with git: clean or not, the release commit, its files, its tags; tag and worktree.

Files of the release are read at its commit (`git show SHA:path`); the operator's checkout never switches.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT_S = 30.0
MIGRATIONS_DIR = "supabase/migrations"
RELEASE_ENV_FILE = "release.env.toml"
# Supabase's migration file name: a 14-digit version, then the name (docs/providers.md#supabase-migrations).
MIGRATION_FILE = re.compile(r"^(?P<version>\d{14})_(?P<name>[A-Za-z0-9_.-]+)\.sql$")


class CheckoutError(Exception):
    """The checkout cannot serve the release; the message is one line with the fix."""


@dataclass(frozen=True)
class MigrationFile:
    version: str
    name: str
    path: str


@dataclass(frozen=True)
class Checkout:
    path: Path

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        try:
            result = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, text=True,
                                    timeout=GIT_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CheckoutError(f"app checkout {self.path}: git {args[0]} failed ({type(exc).__name__})") from None
        if check and result.returncode != 0:
            error = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise CheckoutError(f"app checkout {self.path}: git {' '.join(args[:2])} failed: {error}")
        return result

    def require_repository(self) -> None:
        if not self.path.is_dir():
            raise CheckoutError(f"app checkout {self.path}: no such directory; set the target's app_repo or pass "
                                "--app-repo PATH")
        top = self.git("rev-parse", "--show-toplevel", check=False)
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != self.path.resolve():
            raise CheckoutError(f"app checkout {self.path}: not the top of a git repository; give the checkout's "
                                "root with --app-repo PATH")

    def resolve(self, rev: str) -> str | None:
        """The full SHA of `rev` when the checkout holds that commit, else None."""
        result = self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def head(self) -> str | None:
        return self.resolve("HEAD")

    def dirty(self) -> list[str]:
        """Paths with uncommitted changes (untracked files included), as `git status --porcelain` names them."""
        return [line[3:] for line in self.git("status", "--porcelain").stdout.splitlines() if line.strip()]

    def show(self, sha: str, path: str) -> str | None:
        """The file at `path` in commit `sha`, None when the commit has no such file."""
        result = self.git("show", f"{sha}:{path}", check=False)
        return result.stdout if result.returncode == 0 else None

    def migration_files(self, sha: str) -> list[MigrationFile]:
        """The migrations the release commit carries, by version; other files of the directory are not ours."""
        listing = self.git("ls-tree", "--name-only", f"{sha}", f"{MIGRATIONS_DIR}/", check=False)
        files = []
        for path in listing.stdout.splitlines():
            match = MIGRATION_FILE.match(Path(path).name)
            if match:
                files.append(MigrationFile(match["version"], match["name"], path))
        return sorted(files, key=lambda f: f.version)

    def tags_at(self, sha: str) -> list[str]:
        return self.git("tag", "--points-at", sha).stdout.split()

    def tag_commit(self, name: str) -> str | None:
        return self.resolve(f"refs/tags/{name}")

    def create_tag(self, name: str, sha: str) -> None:
        # A lightweight tag: no committer identity needed, and pushing it stays the operator's git.
        self.git("tag", name, sha)

    def worktree(self, sha: str, where: Path) -> Path:
        """A detached worktree of `sha` at `where` (kept when it already is), for the code gates."""
        if where.is_dir() and Checkout(where).head() == sha:
            return where
        if where.exists():
            self.git("worktree", "remove", "--force", str(where), check=False)
        self.git("worktree", "prune", check=False)
        self.git("worktree", "add", "--detach", str(where), sha)
        return where

    def remove_worktree(self, where: Path) -> None:
        if where.exists():
            self.git("worktree", "remove", "--force", str(where), check=False)
        self.git("worktree", "prune", check=False)


def pending_migrations(files: list[MigrationFile], remote: list) -> list[MigrationFile]:
    """The files whose version and name the remote list both lack, in version order.

    Supabase may assign its own version to a migration applied through the API (UNCONFIRMED,
    docs/providers.md#supabase-apply-migration), so a name found counts as applied too.
    """
    versions = {m.version for m in remote}
    names = {m.name for m in remote if m.name}
    return [f for f in sorted(files, key=lambda f: f.version) if f.version not in versions and f.name not in names]


def is_listed(file: MigrationFile, remote: list) -> bool:
    return any(m.version == file.version or (m.name and m.name == file.name) for m in remote)
