"""What every step works with: the runbook's tables, the target (as the suites load it), its provider clients,
the app checkout, the journal, the release row and the progress printer.

The sandbox is a target like production: it is reached through `load_target` and its state file only.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from gonogo.notify import Plan
from gonogo.runbook import RunbookError, load_runbook
from gonogo_providers.render import RenderClient
from gonogo_providers.supabase import SupabaseClient
from gonogo_providers.vercel import VercelClient
from harness import checks
from harness.target import Target, TargetError, load_target
from release.checkout import Checkout
from release.journal import Journal, Release
from release.progress import Progress

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNBOOK = REPO_ROOT / "runbook.toml"
DEFAULT_JOURNAL = REPO_ROOT / ".gonogo" / "releases.sqlite"
DEFAULT_REPORTS = REPO_ROOT / "reports" / "releases"
# The stages' kept verdicts (gonogo's --gonogo-history): where a plain `pytest` run from the repository keeps
# its own (history/ beside reports/verdict.json), so a stage compares with the last GO of either.
DEFAULT_HISTORY = REPO_ROOT / "reports" / "history"
STRATEGIES = ("git", "api")
ROLLBACK_MODES = ("plan", "auto")
# The credentials the release steps themselves use (B: Supabase, C and D: Render, C and E: Vercel).
STEP_SECRETS = ("render_api_key", "vercel_token", "supabase_access_token")


class UsageProblem(Exception):
    """Bad input: one line naming the flag or file, the value and the fix (exit 4, nothing written anywhere)."""


@dataclass(frozen=True)
class Settings:
    """The release's own settings for a target: derived from it, overridable on the command line."""

    strategy: str  # git: wait for the auto-deploy of the merged commit; api: trigger deploys by commit
    settle_timeout_s: float  # how long a deploy may take to be live / READY (runbook.toml thresholds)
    poll_interval_s: float
    production: bool  # a real deployment: `run` asks before its first side effect

    @classmethod
    def for_target(cls, target: Target, tables: dict) -> Settings:
        sandbox = bool(target.sandbox_state)
        # The runbook's primary path is a merge to main that deploys itself (section 2); the sandbox rehearses
        # the same release through the API, where no one merges (docs/runbook.md#release-conductor).
        return cls(strategy="api" if sandbox else "git",
                   settle_timeout_s=float(tables.get("thresholds", {}).get("settle_timeout_s", 120)),
                   poll_interval_s=0.5 if sandbox else 5.0, production=not sandbox)


def runbook_tables() -> dict:
    try:
        return dict(load_runbook(RUNBOOK).extra)
    except (RunbookError, OSError) as exc:
        raise UsageProblem(f"{RUNBOOK}: {exc}") from None


def resolve_target(spec: str, tables: dict) -> tuple[Target, str]:
    """The target, and its spec as the journal keeps it (a file's absolute path, so resume finds it anywhere)."""
    try:
        target = load_target(spec, tables, REPO_ROOT)
    except TargetError as exc:
        raise UsageProblem(str(exc)) from None
    stored = str(Path(spec).resolve()) if spec.endswith(".toml") or "/" in spec else spec
    return target, stored


def secrets_of(target: Target) -> list[str]:
    """What to mask in every output: the target's credentials, a DSN's password, the share token."""
    values = target.secret_values()
    values += [urlsplit(v).password for v in values if "://" in v and urlsplit(v).password]
    if target.secrets.get("share_url"):
        values.append(target.secrets["share_url"].rstrip("/").rsplit("/", 1)[-1])
    return [v for v in values if v]


def require_secrets(target: Target, tables: dict) -> None:
    """Every credential the release and its stages need, before anything is written anywhere."""
    roles = set(STEP_SECRETS) | {r for needs in tables.get("needs", {}).values() for r in needs}
    missing = target.missing(roles)
    if missing:
        raise UsageProblem(f"--target {target.name}: missing secret env var(s) {', '.join(missing)} needed by the "
                           "release; export them")


def sandbox_status(target: Target) -> dict:
    """The target's sandbox state file (`python -m sandbox status --json`), {} for any other target."""
    if not target.sandbox_state:
        return {}
    path = Path(target.sandbox_state)
    path = path if path.is_absolute() else REPO_ROOT / path
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def checkout_of(target: Target, app_repo: str | None) -> Checkout:
    path = app_repo or target.app_repo
    if not path:
        raise UsageProblem(f"--target {target.name}: no app checkout; set app_repo in the target or pass "
                           "--app-repo PATH")
    return Checkout(Path(path).expanduser().resolve())


def default_sha(target: Target, checkout: Checkout) -> tuple[str | None, str]:
    """The commit to release when --sha is not given, and where it came from."""
    status = sandbox_status(target)
    if status.get("next_release_sha"):
        return status["next_release_sha"], f"the sandbox's next release ({status.get('next_release_branch', 'next')})"
    return checkout.head(), f"HEAD of {checkout.path}"


@dataclass
class Context:
    """One process driving one release."""

    journal: Journal
    target: Target
    tables: dict
    settings: Settings
    checkout: Checkout
    progress: Progress
    release: Release
    # The release's env values (from the file and the operator's environment): in memory only.
    wanted_env: dict = field(default_factory=dict)
    # Where its end state is sent (--notify, runbook.toml [notify]); None: nowhere. Never journaled (tokens).
    notify: Plan | None = None
    _clients: dict = field(default_factory=dict)

    @property
    def release_dir(self) -> Path:
        return Path(self.release.release_dir)

    @property
    def sha(self) -> str:
        return self.release.sha

    def refresh(self) -> None:
        self.release = self.journal.release(self.release.id)

    def _client(self, name: str, make):
        if name not in self._clients:
            self._clients[name] = make(self.target)
        return self._clients[name]

    @property
    def render(self) -> RenderClient:
        return self._client("render", checks.render_client)

    @property
    def vercel(self) -> VercelClient:
        return self._client("vercel", checks.vercel_client)

    @property
    def supabase(self) -> SupabaseClient:
        return self._client("supabase", checks.supabase_client)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
