"""The sandbox's configuration at `up`: ports, provider IDs in their real formats, secrets, commits, env."""

from __future__ import annotations

import json
import os
import secrets
import string
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

_LOWER_ALNUM = string.ascii_lowercase + string.digits
_ALNUM = string.ascii_letters + string.digits

PINECONE_INDEX = "digital-twin-brain"
KEY_VALUE_NAME = "verified-digital-twin-brains-redis"
VERCEL_ALIAS = "digitalbrains.sandbox.test"
VERCEL_PROJECT_NAME = "verified-digital-twin-brains"
NODE_VERSION = "20.x"

# Build flags only the control plane acts on (never passed to the app in SANDBOX_BUILD).
BUILD_FAILS = "build-fails"
SKIP_ALIAS = "skip-alias"
CONTROL_PLANE_FLAGS = frozenset({BUILD_FAILS, SKIP_ALIAS})


def _rand(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def render_id(prefix: str) -> str:
    """Render IDs: a prefix, then 20 lowercase alphanumerics (`srv-d55qmb95pdvs73cagk60`)."""
    return f"{prefix}-{_rand(_LOWER_ALNUM, 20)}"


def vercel_id(prefix: str, n: int = 28) -> str:
    """Vercel IDs: a prefix, then mixed-case alphanumerics (`prj_tye8zjjKLvhdjH2pyBXno8JaylYk`)."""
    return f"{prefix}_{_rand(_ALNUM, n)}"


def commit_sha() -> str:
    return secrets.token_hex(20)


@dataclass(frozen=True)
class Commit:
    """A commit of the demo app: the app build it produces is `build` (a tuple of build flags)."""

    sha: str
    message: str
    build: tuple[str, ...]
    created_at: str

    def app_build(self) -> str:
        """SANDBOX_BUILD for the app: the flags without the control plane's own."""
        return ",".join(f for f in self.build if f not in CONTROL_PLANE_FLAGS)


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def make_commits(now: float, shas: tuple[str, str] | None = None,
                 builds: Iterable[tuple[str, tuple[str, ...]]] = ()) -> tuple[list[Commit], str, str]:
    """The commit registry: two healthy commits (previous, head: the app checkout's real commits when
    given) and one per (message, build flags) in `builds` (the build faults'); returns (all, prev, head)."""
    prev_sha, head_sha = shas or (commit_sha(), commit_sha())
    prev = Commit(prev_sha, "feat: feedback learning loop (phase 7)", (), _iso(now - 7200))
    head = Commit(head_sha, "fix: feedback learning job type", (), _iso(now - 3600))
    faulty = [Commit(commit_sha(), msg, tuple(flags), _iso(now - 60)) for msg, flags in builds]
    return [prev, head, *faulty], prev.sha, head.sha


@dataclass
class SandboxConfig:
    """Everything the daemon and the CLI share; written to STATE/config.json (mode 0600) at `up`."""

    state_dir: str
    ports: dict[str, int]
    database_url: str
    redis_url: str
    ids: dict[str, str]
    secrets: dict[str, str]
    app_secrets: dict[str, str]
    owner_email: str
    owner_password: str
    share_token: str
    twin_id: str
    commits: list[dict] = field(default_factory=list)
    prev_sha: str = ""
    head_sha: str = ""
    # The next release: the head of the checkout's `next` branch (sandbox/checkout.py), kept in step by
    # `python -m sandbox next-release`.
    next_sha: str = ""

    # -- derived ------------------------------------------------------------------------------
    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def commit(self, sha: str) -> Commit | None:
        for c in self.commits:
            if c["sha"] == sha:
                return Commit(c["sha"], c["message"], tuple(c["build"]), c["created_at"])
        return None

    def register(self, commit: Commit) -> Commit:
        """Add a commit to the registry (a push, or a commit of the app checkout seen for the first time)."""
        if self.commit(commit.sha) is None:
            self.commits.append(asdict(commit) | {"build": list(commit.build)})
        return commit

    def commit_sha(self, message: str, build: tuple[str, ...]) -> str:
        """The sha of the commit registered at `up` with this message and build (a build fault's)."""
        for c in self.commits:
            if tuple(c["build"]) == tuple(build) and c["message"] == message:
                return c["sha"]
        raise KeyError(f"no commit {message!r} with build {build}")

    def render_env(self, role: str) -> dict[str, str]:
        """The healthy baseline env of the Render API or worker (runbook section 4, sandbox values)."""
        env = {
            "DATABASE_URL": self.database_url,
            "SUPABASE_URL": self.url("supabase"),
            "SUPABASE_SERVICE_KEY": self.app_secrets["SUPABASE_SERVICE_KEY"],
            "OPENAI_API_KEY": self.app_secrets["OPENAI_API_KEY"],
            "PINECONE_API_KEY": self.secrets["PINECONE_API_KEY"],
            "PINECONE_INDEX_NAME": PINECONE_INDEX,
            "PINECONE_CONTROLLER_URL": self.url("pinecone"),
            "JWT_SECRET": self.app_secrets["JWT_SECRET"],
            "ALLOWED_ORIGINS": self.url("frontend"),
            "DEV_MODE": "false",
            "REDIS_URL": self.redis_url,
            "GRAPH_RAG_ENABLED": "true",
            "CONTENT_EXTRACT_MAX_CHUNKS": "6",
            "ENABLE_ENHANCED_INGESTION": "false",
            "ENABLE_VC_ROUTES": "false",
            "FEEDBACK_LEARNING_MIN_EVENTS": "5",
            "FEEDBACK_LEARNING_COOLDOWN_MINUTES": "30",
            "FEEDBACK_LEARNING_AUTO_PUBLISH": "false",
            "FEEDBACK_LEARNING_RUN_REGRESSION_GATE": "true",
        }
        return env

    def vercel_env(self) -> dict[str, str]:
        """The healthy baseline env of the Vercel project (production target)."""
        return {
            "NEXT_PUBLIC_BACKEND_URL": self.url("api"),
            "NEXT_PUBLIC_SUPABASE_URL": self.url("supabase"),
            "NEXT_PUBLIC_SUPABASE_ANON_KEY": self.app_secrets["SUPABASE_ANON_KEY"],
            "NEXT_PUBLIC_FRONTEND_URL": self.url("frontend"),
        }

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        write_private(path, json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> SandboxConfig:
        return cls(**json.loads(path.read_text()))


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds the sandbox's tokens), atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def new_config(state_dir: Path, ports: dict[str, int], database_url: str, redis_url: str,
               seeded: dict, owner_email: str, owner_password: str,
               shas: tuple[str, str] | None = None,
               builds: Iterable[tuple[str, tuple[str, ...]]] = (), next_sha: str = "") -> SandboxConfig:
    """Fresh IDs and secrets for one `up`; `builds` are the build faults' commits (message, flags)."""
    commits, prev, head = make_commits(time.time(), shas, builds)
    return SandboxConfig(
        state_dir=str(state_dir),
        ports=ports,
        database_url=database_url,
        redis_url=redis_url,
        ids={
            "render_owner_id": render_id("tea"),
            "render_api_service_id": render_id("srv"),
            "render_worker_service_id": render_id("srv"),
            "render_scheduler_service_id": render_id("crn"),
            "render_keyvalue_id": render_id("red"),
            "vercel_project_id": vercel_id("prj"),
            "vercel_team_id": vercel_id("team", 24),
            "vercel_alias": VERCEL_ALIAS,
            "supabase_project_ref": _rand(string.ascii_lowercase, 20),
            "pinecone_index": PINECONE_INDEX,
        },
        secrets={
            "RENDER_API_KEY": "rnd_" + _rand(_ALNUM, 32),
            "VERCEL_TOKEN": _rand(_ALNUM, 24),
            "SUPABASE_ACCESS_TOKEN": "sbp_" + secrets.token_hex(20),
            "PINECONE_API_KEY": "pcsk_" + _rand(_ALNUM, 6) + "_" + _rand(_ALNUM, 60),
        },
        app_secrets={
            "JWT_SECRET": secrets.token_urlsafe(32),
            "SUPABASE_SERVICE_KEY": "sandbox-service-" + secrets.token_hex(16),
            "SUPABASE_ANON_KEY": "sandbox-anon-" + secrets.token_hex(16),
            "OPENAI_API_KEY": "sk-sandbox-" + secrets.token_hex(16),
        },
        owner_email=owner_email,
        owner_password=owner_password,
        share_token=str(seeded.get("share_token", "")),
        twin_id=str(seeded.get("twin_id", "")),
        commits=[asdict(c) | {"build": list(c.build)} for c in commits],
        prev_sha=prev,
        head_sha=head,
        next_sha=next_sha,
    )
