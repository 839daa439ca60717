"""Render's side of the deploy model: services, env vars and deploys that really restart processes."""

from __future__ import annotations

import asyncio
import secrets
import string
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.checkout import branch_head, find_commit
from sandbox.config import BUILD_FAILS, KEY_VALUE_NAME, Commit, SandboxConfig
from sandbox.counters import Counters
from sandbox.supervisor import MODULES, Supervisor

# Each phase of a deploy takes about this long, so clients really have to poll.
STEP_S = 0.4
SUCCESS = ("live", "deactivated")
SCHEDULE = "*/15 * * * *"
START_COMMANDS = {
    "api": "uvicorn main:app --host 0.0.0.0 --port $PORT",
    "worker": "python worker.py",
    "scheduler": "python backend/scripts/run_feedback_learning_scheduler.py --once --min-events 5 --limit-twins 100",
}
IN_PROGRESS = ("created", "queued", "build_in_progress", "update_in_progress", "pre_deploy_in_progress")
# Auto-deploy, in both spellings (docs/providers.md#render-service-update: which one an account sees is
# UNCONFIRMED): `autoDeploy` yes|no and the newer `autoDeployTrigger` off|commit|checksPass.
AUTO_DEPLOY = ("yes", "no")
AUTO_DEPLOY_TRIGGERS = ("off", "commit", "checksPass")
# Key Value `status` (docs/providers.md#render-key-value: values beyond `available` UNCONFIRMED).
KEY_VALUE_STATUSES = ("available", "creating", "suspended", "unavailable")


def rfc3339(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


@dataclass
class Deploy:
    """A Render deploy: a snapshot of (env vars, app build from the commit) plus its lifecycle."""

    id: str
    commit: Commit
    env: dict[str, str]
    trigger: str
    status: str = "build_in_progress"
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    updated_at: float = field(default_factory=time.time)

    def set(self, status: str) -> None:
        self.status, self.updated_at = status, time.time()
        if status not in IN_PROGRESS:
            self.finished_at = self.updated_at

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "commit": {"id": self.commit.sha, "message": self.commit.message, "createdAt": self.commit.created_at},
            "status": self.status,
            "trigger": self.trigger,
            "createdAt": rfc3339(self.created_at),
            "startedAt": rfc3339(self.started_at),
            "finishedAt": rfc3339(self.finished_at),
            "updatedAt": rfc3339(self.updated_at),
        }


@dataclass
class Service:
    """A Render service (the API web service or the background worker) with its env vars and deploys."""

    id: str
    name: str
    role: str
    type: str
    owner_id: str
    env: dict[str, str]
    url: str | None
    deploys: list[Deploy] = field(default_factory=list)  # newest first
    created_at: float = field(default_factory=time.time)
    suspended: bool = False
    auto_deploy_trigger: str = "commit"
    updated_at: float = field(default_factory=time.time)

    def live(self) -> Deploy | None:
        return next((d for d in self.deploys if d.status == "live"), None)

    @property
    def auto_deploy(self) -> bool:
        return self.auto_deploy_trigger != "off"

    def update(self, body: dict) -> str | None:
        """`PATCH /services/{id}`: the auto-deploy switch in either spelling; an error message, or None."""
        unknown = sorted(set(body) - {"autoDeploy", "autoDeployTrigger"})
        if unknown:
            return f"the sandbox cannot update {', '.join(unknown)} (only autoDeploy / autoDeployTrigger)"
        flag, trigger = body.get("autoDeploy"), body.get("autoDeployTrigger")
        if flag is not None and flag not in AUTO_DEPLOY:
            return f"autoDeploy must be one of {', '.join(AUTO_DEPLOY)}; got {flag!r}"
        if trigger is not None and trigger not in AUTO_DEPLOY_TRIGGERS:
            return f"autoDeployTrigger must be one of {', '.join(AUTO_DEPLOY_TRIGGERS)}; got {trigger!r}"
        if flag is not None and trigger is not None and (flag == "yes") != (trigger != "off"):
            return f"autoDeploy {flag!r} contradicts autoDeployTrigger {trigger!r}"
        if trigger is not None:
            self.auto_deploy_trigger = trigger
        elif flag is not None and (flag == "yes") != self.auto_deploy:
            self.auto_deploy_trigger = "commit" if flag == "yes" else "off"
        self.updated_at = time.time()
        return None

    def to_json(self) -> dict:
        details = {
            "env": "python",
            "runtime": "python",
            "plan": "starter",
            "region": "oregon",
            "envSpecificDetails": {"buildCommand": "pip install -r requirements.txt",
                                   "startCommand": START_COMMANDS[self.role]},
        }
        if self.type == "cron_job":
            details.update(schedule=SCHEDULE, lastSuccessfulRunAt=rfc3339(time.time() - 300))
        else:
            # As the production services: no health check path (`serviceDetails.healthCheckPath`,
            # docs/providers.md#render-services), so a deploy whose /health fails still goes live.
            details.update(numInstances=1, healthCheckPath="")
        if self.url:
            details["url"] = self.url
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "ownerId": self.owner_id,
            "repo": "https://github.com/digitalbrains/verified-digital-twin-brains",
            "branch": "main",
            "rootDir": "backend",
            "autoDeploy": "yes" if self.auto_deploy else "no",
            "autoDeployTrigger": self.auto_deploy_trigger,
            "suspended": "suspended" if self.suspended else "not_suspended",
            "notifyOnFail": "default",
            "slug": self.name,
            "createdAt": rfc3339(self.created_at),
            "updatedAt": rfc3339(self.updated_at),
            "serviceDetails": details,
        }


@dataclass
class KeyValue:
    """The Render Key Value instance (`red-...`) the sandbox's Redis stands for."""

    id: str
    name: str
    owner_id: str
    status: str = "available"
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "plan": "starter",
            "region": "oregon",
            "ownerId": self.owner_id,
            "version": "7.0.15",
            "maxmemoryPolicy": "noeviction",
            "createdAt": rfc3339(self.created_at),
            "updatedAt": rfc3339(self.updated_at),
        }


def _deploy_id() -> str:
    return "dep-" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(20))


def _instance(service_id: str) -> str:
    return service_id + "-" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5))


class RenderModel:
    """The Render services of the sandbox; deploys run in the background and restart the real process."""

    def __init__(self, config: SandboxConfig, supervisor: Supervisor, repo: Path | None = None):
        # repo: the app checkout (STATE/app_repo) whose `main` the services build from.
        self.config, self.supervisor, self.repo = config, supervisor, repo
        ids = config.ids
        self.services: dict[str, Service] = {
            ids["render_api_service_id"]: Service(
                ids["render_api_service_id"], "verified-digital-twin-brains", "api", "web_service",
                ids["render_owner_id"], config.render_env("api"), config.url("api")),
            ids["render_worker_service_id"]: Service(
                ids["render_worker_service_id"], "verified-digital-twin-brains-worker", "worker",
                "background_worker", ids["render_owner_id"], config.render_env("worker"), None),
            # The section 6 scheduler: a cron job record (the sandbox runs no cron; nothing to supervise).
            ids["render_scheduler_service_id"]: Service(
                ids["render_scheduler_service_id"], "feedback-learning-scheduler", "scheduler", "cron_job",
                ids["render_owner_id"], config.render_env("worker"), None),
        }
        kv_id = ids.get("render_keyvalue_id", "")
        self.key_values: dict[str, KeyValue] = {kv_id: KeyValue(kv_id, KEY_VALUE_NAME, ids["render_owner_id"])} \
            if kv_id else {}
        self._tasks: set[asyncio.Task] = set()
        # Side effects since `up` (GET /_sandbox/counters): env writes per service and key, deploys per
        # service and trigger. The deploys made at boot are the state `up` starts from: not counted.
        self.counters = Counters("env_writes", "deploys")

    async def boot(self) -> None:
        """Two successful deploys per service (older `deactivated`, newest `live`), its process started."""
        prev, head = self.config.commit(self.config.prev_sha), self.config.commit(self.config.head_sha)
        started = []
        for service in self.services.values():
            t0 = time.time()
            old = Deploy(_deploy_id(), prev, dict(service.env), "new_commit", "deactivated",
                         t0 - 3600, t0 - 3600, t0 - 3540, t0 - 1800)
            new = Deploy(_deploy_id(), head, dict(service.env), "new_commit", "update_in_progress",
                         t0 - 1800, t0 - 1800)
            service.deploys = [new, old]
            started.append(self._start(service, new))
        results = await asyncio.gather(*started)
        for service, ok in zip(self.services.values(), results, strict=True):
            if not ok:
                raise RuntimeError(f"{service.role} did not start; see {self.supervisor.log_path(service.role)}")
            service.deploys[0].set("live")

    def supervised(self, service: Service) -> bool:
        return service.role in MODULES

    def lock(self, service: Service) -> asyncio.Lock:
        return self.supervisor.locks.setdefault(service.role, asyncio.Lock())

    async def _start(self, service: Service, deploy: Deploy) -> bool:
        if not self.supervised(service) or service.suspended:
            return True  # a cron job (or a suspended service) has no process to restart
        # RENDER_GIT_COMMIT: the commit of the deploy, as Render sets it in every instance's environment.
        env = dict(deploy.env, SANDBOX_BUILD=deploy.commit.app_build(), RENDER_GIT_COMMIT=deploy.commit.sha)
        return await self.supervisor.replace(service.role, env, _instance(service.id))

    # -- env vars (a change takes effect at the service's next deploy) ----------------------------
    def set_env(self, service: Service, key: str, value: str) -> None:
        """`PUT .../env-vars/{key}`: add or replace one var."""
        service.env[key] = value
        self.counters.add("env_writes", service.id, key)

    def delete_env(self, service: Service, key: str) -> bool:
        """`DELETE .../env-vars/{key}`: False when the service has no such var (nothing written)."""
        if key not in service.env:
            return False
        del service.env[key]
        self.counters.add("env_writes", service.id, key)
        return True

    def replace_env(self, service: Service, env: dict[str, str]) -> None:
        """`PUT .../env-vars` with the list: every var replaced; each key listed or dropped is a write."""
        for key in dict.fromkeys([*env, *service.env]):
            self.counters.add("env_writes", service.id, key)
        service.env = dict(env)

    def deploy(self, service: Service, commit: Commit, trigger: str = "api",
               env: dict[str, str] | None = None) -> Deploy:
        """Create a deploy (answered at once as `build_in_progress`) and run it in the background."""
        deploy = Deploy(_deploy_id(), commit, dict(env if env is not None else service.env), trigger)
        deploy.started_at = deploy.created_at
        service.deploys.insert(0, deploy)
        self.counters.add("deploys", service.id, trigger)
        task = asyncio.get_running_loop().create_task(self._run(service, deploy))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return deploy

    async def _run(self, service: Service, deploy: Deploy) -> None:
        async with self.lock(service):
            await asyncio.sleep(STEP_S)
            if BUILD_FAILS in deploy.commit.build:
                deploy.set("build_failed")  # the old process never stopped: it keeps serving
                return
            deploy.set("update_in_progress")
            await asyncio.sleep(STEP_S / 2)
            previous = service.live()
            if await self._start(service, deploy):
                if previous is not None:
                    previous.set("deactivated")
                deploy.set("live")
                return
            deploy.set("update_failed")
            if previous is not None:
                # Render keeps the old instance serving when an update fails: bring it back.
                await self._start(service, previous)

    def branch_head(self) -> str:
        """The commit a deploy without `commitId` builds: the head of the checkout's `main` (blocking: git)."""
        return (branch_head(self.repo) if self.repo else None) or self.config.head_sha

    def find_commit(self, sha: str) -> Commit | None:
        """A registered commit, or one the checkout has (registered now, its build from its trailer)."""
        return find_commit(self.config, self.repo, sha)

    def auto_deploy(self, commit: Commit) -> list[Service]:
        """A new commit on `main`: deployed (trigger `new_commit`) on every service with auto-deploy on."""
        chosen = [s for s in self.services.values() if s.auto_deploy]
        for service in chosen:
            self.deploy(service, commit, "new_commit")
        return chosen

    def rollback(self, service: Service, target: Deploy) -> Deploy:
        """A new deploy (trigger `rollback`) restarting the target deploy's snapshot."""
        return self.deploy(service, target.commit, "rollback", env=target.env)

    async def revive(self, service: Service) -> bool:
        """Restart a crashed process from its live deploy, as Render restarts a failed instance."""
        lock = self.lock(service)
        live = service.live()
        if lock.locked() or live is None or service.suspended or not self.supervised(service):
            return False
        if service.role not in self.supervisor.running or self.supervisor.alive(service.role):
            return False
        async with lock:
            return await self._start(service, live)

    async def suspend(self, service: Service) -> None:
        """`POST /services/{id}/suspend`: the process stops (a cron job stops being scheduled)."""
        async with self.lock(service):
            service.suspended = True
            if self.supervised(service):
                await self.supervisor.stop(service.role)

    async def resume(self, service: Service) -> None:
        async with self.lock(service):
            service.suspended = False
            live = service.live()
            if live is not None:
                await self._start(service, live)

    def find_deploy(self, service: Service, deploy_id: str) -> Deploy | None:
        return next((d for d in service.deploys if d.id == deploy_id), None)
