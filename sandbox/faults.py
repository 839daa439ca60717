"""Fault switches: each arrives as production would get it (provider API calls, SQL), and clears the same way."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import httpx
import psycopg

from sandbox.catalog import BYPASS, FAULTS  # noqa: F401 - re-exported for the CLI
from sandbox.config import NODE_VERSION, SandboxConfig, write_private
from sandbox.render_model import IN_PROGRESS
from sandbox.state import StateDir

SETTLE_TIMEOUT_S = 30.0
HTTP_TIMEOUT_S = 10.0


class FaultError(RuntimeError):
    """A fault could not be applied or cleared; the message says which call failed."""


class Operator:
    """The sandbox's own operator tooling: provider API calls with the sandbox's tokens, and SQL."""

    def __init__(self, config: SandboxConfig):
        self.c = config
        s = config.secrets
        self.render = httpx.Client(base_url=config.url("render") + "/v1", timeout=HTTP_TIMEOUT_S,
                                   headers={"Authorization": f"Bearer {s['RENDER_API_KEY']}"})
        self.vercel = httpx.Client(base_url=config.url("vercel"), timeout=HTTP_TIMEOUT_S,
                                   headers={"Authorization": f"Bearer {s['VERCEL_TOKEN']}"},
                                   params={"teamId": config.ids["vercel_team_id"]})
        self.project = config.ids["vercel_project_id"]

    def close(self) -> None:
        self.render.close()
        self.vercel.close()

    def _ok(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            raise FaultError(f"{response.request.method} {response.request.url.path} answered "
                             f"{response.status_code}: {response.text[:200]}")
        return response

    # -- Render -------------------------------------------------------------------------------
    def service(self, role: str) -> str:
        return self.c.ids["render_api_service_id" if role == "api" else "render_worker_service_id"]

    def render_env(self, role: str) -> dict[str, str]:
        rows = self._ok(self.render.get(f"/services/{self.service(role)}/env-vars", params={"limit": 100})).json()
        return {r["envVar"]["key"]: r["envVar"]["value"] for r in rows}

    def put_env(self, role: str, key: str, value: str) -> None:
        self._ok(self.render.put(f"/services/{self.service(role)}/env-vars/{key}", json={"value": value}))

    def delete_env(self, role: str, key: str) -> None:
        self._ok(self.render.delete(f"/services/{self.service(role)}/env-vars/{key}"))

    def replace_env(self, role: str, env: dict[str, str]) -> None:
        body = [{"key": k, "value": v} for k, v in env.items()]
        self._ok(self.render.put(f"/services/{self.service(role)}/env-vars", json=body))

    def newest_deploy(self, role: str) -> dict:
        rows = self._ok(self.render.get(f"/services/{self.service(role)}/deploys", params={"limit": 1})).json()
        return rows[0]["deploy"]

    def live_sha(self, role: str) -> str:
        rows = self._ok(self.render.get(f"/services/{self.service(role)}/deploys",
                                        params={"status": "live", "limit": 1})).json()
        return rows[0]["deploy"]["commit"]["id"] if rows else self.c.head_sha

    def production_sha(self) -> str:
        production = self.vercel_project().get("targets", {}).get("production") or {}
        return production.get("meta", {}).get("githubCommitSha") or self.c.head_sha

    def deploy(self, role: str, sha: str | None = None) -> str:
        """POST a deploy and wait until it settles; return its final status."""
        body = {"clearCache": "do_not_clear", **({"commitId": sha} if sha else {})}
        dep = self._ok(self.render.post(f"/services/{self.service(role)}/deploys", json=body)).json()
        path = f"/services/{self.service(role)}/deploys/{dep['id']}"
        return _poll(lambda: self._ok(self.render.get(path)).json()["status"], lambda s: s not in IN_PROGRESS)

    # -- Vercel -------------------------------------------------------------------------------
    def vercel_project(self) -> dict:
        return self._ok(self.vercel.get(f"/v9/projects/{self.project}")).json()

    def node_version(self, version: str) -> None:
        self._ok(self.vercel.patch(f"/v9/projects/{self.project}", json={"nodeVersion": version}))

    def vercel_envs(self) -> list[dict]:
        return self._ok(self.vercel.get(f"/v10/projects/{self.project}/env")).json()["envs"]

    def add_vercel_env(self, key: str, value: str) -> None:
        self._ok(self.vercel.post(f"/v10/projects/{self.project}/env",
                                  json={"key": key, "value": value, "type": "plain", "target": ["production"]}))

    def delete_vercel_env(self, env_id: str) -> None:
        self._ok(self.vercel.delete(f"/v9/projects/{self.project}/env/{env_id}"))

    def vercel_deploy(self, sha: str) -> str:
        body = {"name": "verified-digital-twin-brains", "project": self.project, "target": "production",
                "gitSource": {"type": "github", "sha": sha, "ref": "main", "repoId": 1}}
        dep = self._ok(self.vercel.post("/v13/deployments", json=body)).json()
        return _poll(lambda: self._ok(self.vercel.get(f"/v13/deployments/{dep['id']}")).json()["readyState"],
                     lambda s: s in ("READY", "ERROR", "CANCELED"))

    # -- Pinecone and SQL ---------------------------------------------------------------------
    def pinecone_status(self, ready: bool, state: str) -> None:
        self._ok(httpx.post(self.c.url("pinecone") + "/_sandbox/index-status", timeout=HTTP_TIMEOUT_S,
                            json={"ready": ready, "state": state}))

    def sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.c.database_url, connect_timeout=5, autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []


def _poll(read: Callable[[], str], done: Callable[[str], bool]) -> str:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        status = read()
        if done(status):
            return status
        if time.monotonic() > deadline:
            raise FaultError(f"still {status} after {SETTLE_TIMEOUT_S:.0f} s")
        time.sleep(0.1)


def _expect(what: str, got: str, want: str) -> None:
    if got != want:
        raise FaultError(f"{what} ended {got}, expected {want}")


MIGRATION = "add_feedback_learning_job_type"
# Faults that arrive as a deploy of a commit with a build flag: fault -> (service, flag).
BUILD_FAULTS = {
    "bad-deploy-health": ("api", "bad-health"),
    "share-writes-training": ("api", "share-writes-training"),
    "persona-regression-drop": ("api", "persona-regression-drop"),
    "p0-in-logs": ("api", "p0-in-logs"),
    "worker-stalled": ("worker", "worker-stalled"),
    "owner-flow-broken": ("frontend", "owner-flow-broken"),
}


def _commit_for(op: Operator, name: str, active: list[str]) -> str:
    """The fault's commit; when other build faults of that service are active, a new commit carrying all
    of their flags (a release with several bugs), so several faults stay active at once."""
    service = BUILD_FAULTS[name][0] if name in BUILD_FAULTS else "frontend"
    others = [BUILD_FAULTS[a][1] for a in active if a != name and a in BUILD_FAULTS and BUILD_FAULTS[a][0] == service]
    if not others:
        return op.c.fault_sha(name)
    build = sorted({*others, *op.c.commit(op.c.fault_sha(name)).build})
    res = op._ok(httpx.post(op.c.url("render") + "/_sandbox/commits", timeout=HTTP_TIMEOUT_S,
                            json={"message": f"release with {', '.join(build)}", "build": build}))
    return res.json()["sha"]


def apply(op: Operator, name: str, saved: dict, active: list[str] = ()) -> None:
    """Inject one fault; `saved` keeps what clearing it needs (the removed migration row)."""
    c = op.c
    if name == "cors-wildcard":
        op.put_env("api", "ALLOWED_ORIGINS", "*")
        _expect("API deploy", op.deploy("api", op.live_sha("api")), "live")
    elif name == "worker-redis-missing":
        op.delete_env("worker", "REDIS_URL")
        _expect("worker deploy", op.deploy("worker", op.live_sha("worker")), "live")
    elif name == "node-version-mismatch":
        op.node_version("18.x")
    elif name == "migration-missing":
        rows = op.sql("select version, name, statements from supabase_migrations.schema_migrations "
                      "where name = %s", (MIGRATION,))
        if rows:
            saved["migration"] = [rows[0][0], rows[0][1], rows[0][2]]
        op.sql("delete from supabase_migrations.schema_migrations where name = %s", (MIGRATION,))
    elif name == "rls-disabled":
        op.sql("alter table feedback_events disable row level security")
    elif name == "dev-mode-on":
        op.put_env("api", "DEV_MODE", "true")
        _expect("API deploy", op.deploy("api", op.live_sha("api")), "live")
    elif name == "e2e-bypass-enabled":
        op.add_vercel_env(BYPASS, "1")
        _expect("Vercel deployment", op.vercel_deploy(op.production_sha()), "READY")
    elif name == "pinecone-not-ready":
        op.pinecone_status(False, "ScalingUp")
    elif name == "deploy-build-failed":
        _expect("API deploy", op.deploy("api", c.fault_sha(name)), "build_failed")
    elif name in ("bad-deploy-health", "share-writes-training", "persona-regression-drop", "p0-in-logs"):
        _expect("API deploy", op.deploy("api", _commit_for(op, name, list(active))), "live")
    elif name == "worker-stalled":
        _expect("worker deploy", op.deploy("worker", _commit_for(op, name, list(active))), "live")
    elif name in ("owner-flow-broken", "vercel-unaliased"):
        _expect("Vercel deployment", op.vercel_deploy(_commit_for(op, name, list(active))), "READY")
    else:
        raise FaultError(f"unknown fault {name!r}")


def clear(op: Operator, saved: dict) -> list[str]:
    """Back to the healthy baseline through the same APIs (redeploys run in parallel); return what was done."""
    c, done = op.c, []
    redeploys: list[tuple[str, Callable[[], None]]] = []
    for role in ("api", "worker"):
        baseline = c.render_env(role)
        env_changed = op.render_env(role) != baseline
        if env_changed:
            op.replace_env(role, baseline)
        newest = op.newest_deploy(role)
        if env_changed or newest["status"] != "live" or newest["commit"]["id"] != c.head_sha:
            redeploys.append((f"render {role}: baseline redeployed",
                              lambda role=role: _expect(f"{role} deploy", op.deploy(role, c.head_sha), "live")))
    project = op.vercel_project()
    if project["nodeVersion"] != NODE_VERSION:
        op.node_version(NODE_VERSION)
        done.append(f"vercel: nodeVersion {NODE_VERSION}")
    baseline = c.vercel_env()
    stray = [e for e in op.vercel_envs() if e["key"] not in baseline]
    for e in stray:
        op.delete_vercel_env(e["id"])
    production = project.get("targets", {}).get("production") or {}
    newest = next(iter(project.get("latestDeployments") or []), {})
    if stray or production.get("meta", {}).get("githubCommitSha") != c.head_sha or \
            newest.get("uid") != production.get("id"):
        redeploys.append(("vercel: baseline production deployment",
                          lambda: _expect("Vercel deployment", op.vercel_deploy(c.head_sha), "READY")))
    with ThreadPoolExecutor(max_workers=3) as pool:
        for future in [pool.submit(fn) for _, fn in redeploys]:
            future.result()
    done += [label for label, _ in redeploys]
    op.pinecone_status(True, "Ready")
    if saved.get("migration"):
        version, name, statements = saved["migration"]
        op.sql("insert into supabase_migrations.schema_migrations (version, name, statements) "
               "values (%s, %s, %s) on conflict do nothing", (version, name, statements))
        done.append(f"sql: migration {name} restored")
    op.sql("alter table feedback_events enable row level security")
    return done


def load_active(state: StateDir) -> dict:
    try:
        return json.loads(state.faults.read_text())
    except (OSError, ValueError):
        return {"active": [], "saved": {}}


def save_active(state: StateDir, data: dict) -> None:
    write_private(state.faults, json.dumps(data, indent=2))
