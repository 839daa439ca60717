"""The sandbox's own operator tooling: provider API calls with the sandbox's tokens, and SQL."""

from __future__ import annotations

import httpx
import psycopg

from sandbox.config import SandboxConfig
from sandbox.render_model import IN_PROGRESS
from sandbox.switches import FaultError
from sandbox.wait import wait_for

SETTLE_TIMEOUT_S = 30.0
SETTLE_POLL_S = 0.1
HTTP_TIMEOUT_S = 10.0
PINECONE_API_VERSION = "2025-10"


class Operator:
    """What a fault switch calls: each method one provider API call (or SQL), errors as FaultError."""

    def __init__(self, config: SandboxConfig):
        self.c = config
        s = config.secrets
        self.render = httpx.Client(base_url=config.url("render") + "/v1", timeout=HTTP_TIMEOUT_S,
                                   headers={"Authorization": f"Bearer {s['RENDER_API_KEY']}"})
        self.vercel = httpx.Client(base_url=config.url("vercel"), timeout=HTTP_TIMEOUT_S,
                                   headers={"Authorization": f"Bearer {s['VERCEL_TOKEN']}"},
                                   params={"teamId": config.ids["vercel_team_id"]})
        self.pinecone = httpx.Client(base_url=config.url("pinecone"), timeout=HTTP_TIMEOUT_S, headers={
            "Api-Key": s["PINECONE_API_KEY"], "X-Pinecone-Api-Version": PINECONE_API_VERSION})
        self.project = config.ids["vercel_project_id"]

    def close(self) -> None:
        for client in (self.render, self.vercel, self.pinecone):
            client.close()

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

    def render_service(self, role: str) -> dict:
        return self._ok(self.render.get(f"/services/{self.service(role)}")).json()

    def suspend(self, role: str) -> None:
        self._ok(self.render.post(f"/services/{self.service(role)}/suspend"))

    def resume(self, role: str) -> None:
        self._ok(self.render.post(f"/services/{self.service(role)}/resume"))

    def auto_deploy(self, role: str, value: str) -> None:
        self._ok(self.render.patch(f"/services/{self.service(role)}", json={"autoDeploy": value}))

    def keyvalue_status(self) -> str:
        return self._ok(self.render.get(f"/key-value/{self.c.ids['render_keyvalue_id']}")).json()["status"]

    def set_keyvalue_status(self, status: str) -> None:
        self._ok(httpx.post(self.c.url("render") + "/_sandbox/key-value-status", timeout=HTTP_TIMEOUT_S,
                            json={"status": status}))

    def newest_deploy(self, role: str) -> dict:
        rows = self._ok(self.render.get(f"/services/{self.service(role)}/deploys", params={"limit": 1})).json()
        return rows[0]["deploy"]

    def live_sha(self, role: str) -> str:
        rows = self._ok(self.render.get(f"/services/{self.service(role)}/deploys",
                                        params={"status": "live", "limit": 1})).json()
        return rows[0]["deploy"]["commit"]["id"] if rows else self.c.head_sha

    def deploy(self, role: str, sha: str | None = None) -> str:
        """POST a deploy and wait until it settles; return its final status."""
        body = {"clearCache": "do_not_clear", **({"commitId": sha} if sha else {})}
        dep = self._ok(self.render.post(f"/services/{self.service(role)}/deploys", json=body)).json()
        path = f"/services/{self.service(role)}/deploys/{dep['id']}"
        return _settled(lambda: self._ok(self.render.get(path)).json()["status"], lambda s: s not in IN_PROGRESS)

    def push_commit(self, message: str, build: list[str]) -> str:
        """A commit lands on main with these build flags (the Render emulator's commit registry); its sha."""
        res = self._ok(httpx.post(self.c.url("render") + "/_sandbox/commits", timeout=HTTP_TIMEOUT_S,
                                  json={"message": message, "build": build}))
        return res.json()["sha"]

    # -- Vercel -------------------------------------------------------------------------------
    def vercel_project(self) -> dict:
        return self._ok(self.vercel.get(f"/v9/projects/{self.project}")).json()

    def production_sha(self) -> str:
        production = self.vercel_project().get("targets", {}).get("production") or {}
        return production.get("meta", {}).get("githubCommitSha") or self.c.head_sha

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
        """POST a production deployment of sha and wait until it settles; return its readyState."""
        body = {"name": "verified-digital-twin-brains", "project": self.project, "target": "production",
                "gitSource": {"type": "github", "sha": sha, "ref": "main", "repoId": 1}}
        dep = self._ok(self.vercel.post("/v13/deployments", json=body)).json()
        return _settled(lambda: self._ok(self.vercel.get(f"/v13/deployments/{dep['id']}")).json()["readyState"],
                        lambda s: s in ("READY", "ERROR", "CANCELED"))

    # -- Pinecone and SQL ---------------------------------------------------------------------
    def pinecone_status(self) -> dict:
        return self._ok(self.pinecone.get(f"/indexes/{self.c.ids['pinecone_index']}")).json()["status"]

    def set_pinecone_status(self, ready: bool, state: str) -> None:
        self._ok(self.pinecone.post("/_sandbox/index-status", json={"ready": ready, "state": state}))

    def sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.c.database_url, connect_timeout=5, autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []


def _settled(read, done) -> str:
    """The first status that `done` accepts; FaultError naming the last one after SETTLE_TIMEOUT_S."""
    return wait_for(read, done, timeout=SETTLE_TIMEOUT_S, interval=SETTLE_POLL_S, error=FaultError,
                    message=lambda status: f"still {status} after {SETTLE_TIMEOUT_S:.0f} s")
