"""Vercel's side of the deploy model: project, env, production deployments, alias switches (real frontend)."""

from __future__ import annotations

import asyncio
import secrets
import string
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.checkout import BRANCH, branch_head, find_commit
from sandbox.config import BUILD_FAILS, NODE_VERSION, SKIP_ALIAS, VERCEL_PROJECT_NAME, Commit, SandboxConfig
from sandbox.counters import Counters
from sandbox.supervisor import Supervisor

STEP_S = 0.4
NODE_VERSIONS = ("24.x", "22.x", "20.x", "18.x", "16.x", "14.x", "12.x", "10.x")


def ms(ts: float | None = None) -> int:
    return int((time.time() if ts is None else ts) * 1000)


def _rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class Deployment:
    """A Vercel deployment: a snapshot of (production env, app build from the commit, node version)."""

    uid: str
    commit: Commit
    env: dict[str, str]
    node_version: str
    target: str | None = "production"
    ready_state: str = "QUEUED"
    created: int = field(default_factory=ms)
    building_at: int | None = None
    ready: int | None = None
    alias_assigned: bool = False
    error_message: str | None = None
    url: str = ""
    ref: str = BRANCH  # the git ref it was made from (`meta.githubCommitRef`)


@dataclass
class AliasRequest:
    type: str
    from_id: str | None
    to_id: str
    job_status: str = "pending"
    requested_at: int = field(default_factory=ms)

    def to_json(self) -> dict:
        return {"type": self.type, "fromDeploymentId": self.from_id, "toDeploymentId": self.to_id,
                "jobStatus": self.job_status, "requestedAt": self.requested_at}


class VercelModel:
    """One project; the production alias (and so the frontend origin) serves exactly one deployment."""

    def __init__(self, config: SandboxConfig, supervisor: Supervisor, repo: Path | None = None):
        # repo: the app checkout (STATE/app_repo) the project is linked to.
        self.config, self.supervisor, self.repo = config, supervisor, repo
        self.project_id = config.ids["vercel_project_id"]
        self.team_id = config.ids["vercel_team_id"]
        self.alias = config.ids["vercel_alias"]
        self.name = VERCEL_PROJECT_NAME
        self.node_version = NODE_VERSION
        self.created = ms() - 86_400_000
        self.updated = self.created
        self.env: list[dict] = [self._env_record(k, v, ["production", "preview"])
                                for k, v in config.vercel_env().items()]
        self.deployments: list[Deployment] = []  # newest first
        self.production: str | None = None  # uid of the deployment the alias points at
        self.last_alias_request: AliasRequest | None = None
        self._tasks: set[asyncio.Task] = set()
        # Side effects since `up` (GET /_sandbox/counters): env writes per key, deployments created per
        # target, alias requests (rollback, promote) per kind. The deployments made at boot do not count.
        self.counters = Counters("env_writes", "deployments", "alias_requests")

    def _env_record(self, key: str, value: str, target: list[str], type_: str = "encrypted") -> dict:
        now = ms()
        return {"id": _rand(16), "key": key, "value": value, "type": type_, "target": target,
                "gitBranch": None, "configurationId": None, "createdAt": now, "updatedAt": now,
                "createdBy": "sandbox", "updatedBy": None, "comment": "", "customEnvironmentIds": [],
                "decrypted": False}

    def production_env(self) -> dict[str, str]:
        return {e["key"]: e["value"] for e in self.env
                if "production" in (e["target"] if isinstance(e["target"], list) else [e["target"]])}

    def add_env(self, key: str, value: str, target: list[str], type_: str, upsert: bool = True) -> dict | None:
        """Create a var (replacing one of the key on a shared target when `upsert`); None when one is there
        and not `upsert` (the create call lists it under `failed`, docs/providers.md#vercel-env-writes)."""
        clash = [e for e in self.env if e["key"] == key and set(e["target"]) & set(target)]
        if clash and not upsert:
            return None
        self.env = [e for e in self.env if e not in clash]
        record = self._env_record(key, value, target, type_)
        self.env.append(record)
        self.updated = ms()
        self.counters.add("env_writes", key)
        return record

    def edit_env(self, record: dict, fields: dict) -> dict:
        """`PATCH .../env/{id}`: the given fields of one var (already checked) replaced."""
        before = record["key"]
        record.update(fields, updatedAt=ms())
        self.updated = ms()
        for key in dict.fromkeys([before, record["key"]]):
            self.counters.add("env_writes", key)
        return record

    def delete_env(self, record: dict) -> None:
        self.env.remove(record)
        self.updated = ms()
        self.counters.add("env_writes", record["key"])

    def find_commit(self, sha: str) -> Commit | None:
        """A registered commit, or one of the linked checkout (blocking: git)."""
        return find_commit(self.config, self.repo, sha)

    def ref_head(self, ref: str) -> str | None:
        """The sha at the head of branch `ref` of the linked checkout (blocking: git); main falls back to
        the release."""
        head = branch_head(self.repo, ref) if self.repo else None
        return head or (self.config.head_sha if ref == BRANCH else None)

    def get(self, uid_or_url: str) -> Deployment | None:
        return next((d for d in self.deployments if uid_or_url in (d.uid, d.url)), None)

    def _new(self, commit: Commit) -> Deployment:
        uid = "dpl_" + _rand(28)
        slug = _rand(9, string.ascii_lowercase + string.digits)
        return Deployment(uid, commit, self.production_env(), self.node_version,
                          url=f"{self.name}-{slug}-digitalbrains.sandbox.test")

    async def boot(self) -> None:
        """Two READY production deployments; the newest holds the alias and its build is served."""
        prev = self._new(self.config.commit(self.config.prev_sha))
        head = self._new(self.config.commit(self.config.head_sha))
        prev.created = ms() - 7_200_000
        head.created = ms() - 3_600_000
        for d in (prev, head):
            d.building_at, d.ready = d.created + 1000, d.created + 60_000
            d.ready_state, d.alias_assigned = "READY", True
        self.deployments = [head, prev]
        if not await self._serve(head):
            raise RuntimeError(f"frontend did not start; see {self.supervisor.log_path('frontend')}")
        self.production = head.uid

    async def _serve(self, d: Deployment) -> bool:
        # VERCEL_GIT_COMMIT_SHA: the deployment's commit, as Vercel sets it in a git deployment's environment.
        env = dict(d.env, SANDBOX_BUILD=d.commit.app_build(), VERCEL_GIT_COMMIT_SHA=d.commit.sha)
        return await self.supervisor.replace("frontend", env, d.uid)

    def deploy(self, commit: Commit, target: str | None = "production", ref: str = BRANCH) -> Deployment:
        d = self._new(commit)
        d.target, d.ref = target, ref
        self.deployments.insert(0, d)
        self.counters.add("deployments", target or "preview")
        self._spawn(self._build(d))
        return d

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _build(self, d: Deployment) -> None:
        await asyncio.sleep(STEP_S / 2)
        d.ready_state, d.building_at = "BUILDING", ms()
        await asyncio.sleep(STEP_S)
        if BUILD_FAILS in d.commit.build:
            d.ready_state, d.error_message = "ERROR", "Command \"npm run build\" exited with 1"
            return
        if d.target != "production" or SKIP_ALIAS in d.commit.build:
            d.ready_state, d.ready = "READY", ms()  # READY, but the alias stays where it was
            return
        async with self.supervisor.locks["frontend"]:
            ok = await self._serve(d)
            if not ok:
                d.ready_state, d.error_message = "ERROR", "deployment did not start"
                if self.get(self.production or ""):
                    await self._serve(self.get(self.production))
                return
        d.ready_state, d.ready, d.alias_assigned = "READY", ms(), True
        self.production = d.uid

    async def revive(self) -> bool:
        """Restart the frontend from the production deployment when its process died."""
        lock = self.supervisor.locks["frontend"]
        current = self.get(self.production or "")
        if lock.locked() or current is None or "frontend" not in self.supervisor.running \
                or self.supervisor.alive("frontend"):
            return False
        async with lock:
            return await self._serve(current)

    def request_alias(self, kind: str, target: Deployment) -> AliasRequest:
        """rollback / promote: `lastAliasRequest` goes pending -> in-progress -> succeeded as the alias moves."""
        req = AliasRequest(kind, self.production, target.uid)
        self.last_alias_request = req
        self.counters.add("alias_requests", kind)
        self._spawn(self._switch(req, target))
        return req

    async def _switch(self, req: AliasRequest, target: Deployment) -> None:
        await asyncio.sleep(STEP_S / 2)
        req.job_status = "in-progress"
        async with self.supervisor.locks["frontend"]:
            ok = await self._serve(target)
        if ok:
            self.production = target.uid
            req.job_status = "succeeded"
        else:
            req.job_status = "failed"
            if self.get(req.from_id or ""):
                await self._serve(self.get(req.from_id))
