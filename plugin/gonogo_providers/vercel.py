"""Vercel REST client: project, env, deployments, aliases, rollback and promote (docs/providers.md#vercel)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from gonogo_providers._http import BearerAuth, ProviderClient, require_credential, scrub
from gonogo_providers.errors import ProviderError

DEFAULT_BASE_URL = "https://api.vercel.com"
# Enums read in Vercel's SDK (CONFIRMED): readyState (docs/providers.md#vercel-deployments), env type
# and target (docs/providers.md#vercel-env), lastAliasRequest.jobStatus
# (docs/providers.md#vercel-rollback-and-promote).
READY_STATES = ("QUEUED", "INITIALIZING", "BUILDING", "READY", "ERROR", "CANCELED", "BLOCKED", "DELETED")
ENV_TYPES = ("plain", "encrypted", "sensitive", "secret", "system")
ENV_TARGETS = ("production", "preview", "development")
JOB_STATUSES = ("pending", "in-progress", "succeeded", "failed", "skipped")
# Largest `limit` asked for per page (UNCONFIRMED maximum; docs/providers.md#vercel-deployments).
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class AliasRequest:
    """`project.lastAliasRequest`: the rollback/promote in flight or last done; poll `job_status`."""

    type: str | None
    from_deployment_id: str | None
    to_deployment_id: str | None
    job_status: str | None
    requested_at: int | None  # epoch milliseconds

    @property
    def succeeded(self) -> bool:
        return self.job_status == "succeeded"


@dataclass(frozen=True)
class Project:
    """A Vercel project (`prj_…`); `production_deployment_id` is `targets.production.id`.

    `domains` are the project's `alias[].domain` whose `target` is `PRODUCTION` (or not given);
    `production_branch` is `link.productionBranch` (docs/providers.md#vercel-project).
    """

    id: str
    name: str
    node_version: str | None
    framework: str | None
    production_deployment_id: str | None
    last_alias_request: AliasRequest | None
    raw: dict[str, Any] = field(repr=False, compare=False)
    domains: tuple[str, ...] = ()
    production_branch: str | None = None


@dataclass(frozen=True)
class Deployment:
    """A deployment (`dpl_…`) from the v7 list (`uid`) or v13 get (`id`; only that one has `aliases`)."""

    id: str
    url: str | None
    ready_state: str | None
    ready_substate: str | None
    target: str | None  # None means a preview deployment
    created: int | None  # epoch milliseconds
    alias_assigned: bool
    is_rollback_candidate: bool | None
    commit_sha: str | None
    aliases: tuple[str, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def ready(self) -> bool:
        return self.ready_state == "READY"


@dataclass(frozen=True)
class EnvVar:
    """A project env var; for `encrypted`/`sensitive` types expect an encrypted or empty `value`."""

    id: str
    key: str
    value: str | None
    type: str | None
    targets: tuple[str, ...]
    git_branch: str | None


class VercelClient(ProviderClient):
    """Vercel API (`Authorization: Bearer $VERCEL_TOKEN`; `teamId` on every call when given)."""

    provider = "vercel"
    default_credential = "the Vercel token"

    def __init__(
        self, *, token: str, team_id: str | None = None, base_url: str = DEFAULT_BASE_URL, **options: Any
    ) -> None:
        """Options: credential (a label such as the env var name, for AuthError messages), timeout, client,
        transport, max_attempts, max_wait, max_pages, sleep, on_exchange."""
        require_credential(self.provider, "token", token)
        super().__init__(auth=BearerAuth(token), secrets=(token,), base_url=base_url, **options)
        self.team_id = team_id

    def _q(self, **params: Any) -> dict[str, Any]:
        return {**params, "teamId": self.team_id}

    # -- parsing ---------------------------------------------------------------------------------
    def _project(self, response: httpx.Response, body: Any) -> Project:
        body = self._expect_dict(response, body, "a Project")
        if not isinstance(body.get("id"), str):
            raise self._malformed(response, "a Project without `id`")
        targets = body.get("targets") if isinstance(body.get("targets"), dict) else {}
        production = targets.get("production") if isinstance(targets.get("production"), dict) else {}
        request = body.get("lastAliasRequest")
        alias_request = None
        if isinstance(request, dict):
            alias_request = AliasRequest(
                type=request.get("type"), from_deployment_id=request.get("fromDeploymentId"),
                to_deployment_id=request.get("toDeploymentId"), job_status=request.get("jobStatus"),
                requested_at=request.get("requestedAt"),
            )
        aliases = body.get("alias") if isinstance(body.get("alias"), list) else []
        domains = tuple(
            a["domain"] for a in aliases
            if isinstance(a, dict) and isinstance(a.get("domain"), str) and a.get("target") in (None, "PRODUCTION")
        )
        link = body.get("link") if isinstance(body.get("link"), dict) else {}
        branch = link.get("productionBranch")
        return Project(
            id=body["id"], name=str(body.get("name", "")), node_version=body.get("nodeVersion"),
            framework=body.get("framework"), production_deployment_id=production.get("id"),
            last_alias_request=alias_request, raw=body, domains=domains,
            production_branch=branch if isinstance(branch, str) else None,
        )

    def _deployment(self, response: httpx.Response, body: Any) -> Deployment:
        body = self._expect_dict(response, body, "a Deployment")
        ident = body.get("uid") or body.get("id")
        if not isinstance(ident, str):
            raise self._malformed(response, "a Deployment without `uid`/`id`")
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        aliases = body.get("alias") if isinstance(body.get("alias"), list) else []
        return Deployment(
            id=ident, url=body.get("url"), ready_state=body.get("readyState") or body.get("state"),
            ready_substate=body.get("readySubstate"), target=body.get("target"),
            created=body.get("createdAt") or body.get("created"),
            alias_assigned=bool(body.get("aliasAssigned")),
            is_rollback_candidate=body.get("isRollbackCandidate"), commit_sha=meta.get("githubCommitSha"),
            aliases=tuple(str(a) for a in aliases), raw=body,
        )

    def _pages(self, path: str, params: dict[str, Any], key: str) -> Iterator[tuple[httpx.Response, list[Any]]]:
        """Pages of a `{<key>: [...], pagination: {next}}` listing; `next` goes back as `until`."""
        until = None
        for _page in range(self.max_pages):
            response = self._request("GET", path, params={**params, "until": until})
            body = self._json(response)
            if isinstance(body, list):  # a bare array: tolerated, it is one page
                yield response, body
                return
            body = self._expect_dict(response, body, f"{{{key}, pagination}}")
            items = body.get(key)
            if not isinstance(items, list):
                raise self._malformed(response, f"an object without a `{key}` array")
            yield response, items
            pagination = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
            following = pagination.get("next")
            if following is None or following == until or not items:
                return
            until = following
        raise self._too_many_pages("GET", path)

    # -- projects --------------------------------------------------------------------------------
    def get_project(self, project_id: str) -> Project:
        """`GET /v9/projects/{idOrName}`: nodeVersion, targets.production, lastAliasRequest …"""
        response = self._request("GET", f"/v9/projects/{project_id}", params=self._q())
        return self._project(response, self._json(response))

    def patch_project(self, project_id: str, **fields: Any) -> Project:
        """`PATCH /v9/projects/{idOrName}` with the given fields (e.g. `nodeVersion="22.x"`)."""
        response = self._request(
            "PATCH", f"/v9/projects/{project_id}", params=self._q(), json=fields, idempotent=True
        )
        return self._project(response, self._json(response))

    # -- env -------------------------------------------------------------------------------------
    def list_env(self, project_id: str, target: str | None = None) -> list[EnvVar]:
        """`GET /v10/projects/{id}/env`, every page, optionally only the vars that apply to `target`.

        The answer is `{envs}`, `{envs, pagination}` or `{envs, hiddenProductionEnvCount}` (which one
        when is UNCONFIRMED); all are read, and `pagination.next` is followed when present. `target` is
        sent as the CLI does (not in the SDK model, so possibly ignored) and also applied here
        (docs/providers.md#vercel-env).
        """
        result = []
        for response, envs in self._pages(f"/v10/projects/{project_id}/env", self._q(target=target), "envs"):
            for env in envs:
                var = self._env_var(response, env)
                if target is None or target in var.targets:
                    result.append(var)
        return result

    def upsert_env(
        self, project_id: str, key: str, value: str, targets: Sequence[str], type: str = "encrypted"
    ) -> None:
        """`POST /v10/projects/{id}/env?upsert=true`; raises when Vercel lists the key under `failed`.

        docs/providers.md#vercel-env-writes: the answer is `{created, failed: [{error}]}`.
        """
        if type not in ENV_TYPES:
            raise ValueError(f"vercel: env type {type!r} is not one of {', '.join(ENV_TYPES)}")
        path = f"/v10/projects/{project_id}/env"
        body = {"key": key, "value": value, "type": type, "target": list(targets)}
        response = self._request("POST", path, params=self._q(upsert="true"), json=body, ok=(200, 201),
                                 idempotent=True)
        answer = self._json(response) if response.content.strip() else {}
        failed = answer.get("failed") if isinstance(answer, dict) else None
        if failed:
            raise ProviderError(
                provider=self.provider, method="POST", url=self.base_url + path, status=response.status_code,
                reason=f"did not store {key}", detail=scrub(str(failed), (value, *self._secrets))[:200],
            )

    def get_env(self, project_id: str, env_id: str) -> EnvVar:
        """`GET /v1/projects/{id}/env/{envId}`: one var, decrypted (docs/providers.md#vercel-env-writes)."""
        response = self._request("GET", f"/v1/projects/{project_id}/env/{env_id}", params=self._q())
        return self._env_var(response, self._json(response))

    def delete_env(self, project_id: str, env_id: str) -> None:
        """`DELETE /v9/projects/{id}/env/{envId}` (200 or 204): removes the var from every target it has."""
        self._request("DELETE", f"/v9/projects/{project_id}/env/{env_id}", params=self._q(), ok=(200, 204))

    def _env_var(self, response: httpx.Response, env: Any) -> EnvVar:
        if not isinstance(env, dict) or not isinstance(env.get("key"), str):
            raise self._malformed(response, "an env entry without `key`")
        raw_target = env.get("target")
        targets = (raw_target,) if isinstance(raw_target, str) else tuple(raw_target or ())
        return EnvVar(id=str(env.get("id", "")), key=env["key"], value=env.get("value"), type=env.get("type"),
                      targets=targets, git_branch=env.get("gitBranch"))

    # -- deployments -----------------------------------------------------------------------------
    def create_deployment(
        self, project_id: str, *, name: str, sha: str, ref: str | None = None, target: str = "production",
        git: dict[str, Any] | None = None,
    ) -> Deployment:
        """`POST /v13/deployments` building commit `sha` for `target` (docs/providers.md#vercel-production-deployments).

        `git` adds the repository fields of the `gitSource` (`repoId`, or `org` and `repo`, as the project's
        `link` gives them); `type` is `github`. Answers the new deployment (200 or 201, UNCONFIRMED). Never
        repeated after a 5xx or a read timeout: that could build a second deployment.
        """
        source: dict[str, Any] = {"type": "github", **(git or {}), "sha": sha}
        if ref:
            source["ref"] = ref
        body = {"name": name, "project": project_id, "target": target, "gitSource": source}
        response = self._request("POST", "/v13/deployments", params=self._q(), json=body, ok=(200, 201),
                                 idempotent=False)
        return self._deployment(response, self._json(response))

    def list_deployments(
        self,
        project_id: str,
        *,
        target: str | None = "production",
        state: str | Sequence[str] | None = None,
        limit: int = 20,
        rollback_candidate: bool | None = None,
    ) -> list[Deployment]:
        """`GET /v7/deployments?projectId=&target=&state=&rollbackCandidate=`, newest first, up to `limit`.

        `target=None` sends no target (every target, previews included); `state` may be a list (sent
        comma-joined, e.g. `BUILDING,READY`, as the SDK's example shows; docs/providers.md#vercel-deployments).
        """
        states = None if state is None else (state if isinstance(state, str) else ",".join(state))
        params = self._q(
            projectId=project_id, target=target, state=states, limit=max(1, min(limit, MAX_PAGE_SIZE)),
            rollbackCandidate=None if rollback_candidate is None else str(rollback_candidate).lower(),
        )
        result: list[Deployment] = []
        for response, deployments in self._pages("/v7/deployments", params, "deployments"):
            for item in deployments:
                result.append(self._deployment(response, item))
                if len(result) >= limit:
                    break
            if len(result) >= limit:
                break
        # Newest first is INFERRED; sorting by `created` keeps that order and fixes any other.
        return sorted(result, key=lambda d: d.created or 0, reverse=True)

    def previous_production_deployment(self, project_id: str) -> Deployment | None:
        """The rollback target: the newest READY rollback candidate older than the current production one.

        docs/providers.md#vercel-rollback-and-promote suggests "the second item" of the candidates;
        comparing with the deployment that `targets.production` names instead stays right after an
        earlier rollback, when the newest candidate is the bad deployment rather than the one serving.
        """
        current = self.get_project(project_id).production_deployment_id
        candidates = self.list_deployments(project_id, state="READY", rollback_candidate=True, limit=20)
        if current is None:
            return candidates[1] if len(candidates) > 1 else None
        ceiling = next((d.created for d in candidates if d.id == current), None)
        if ceiling is None:
            ceiling = self.get_deployment(current).created
        for deployment in candidates:
            if deployment.id != current and (ceiling is None or (deployment.created or 0) < ceiling):
                return deployment
        return None

    def get_deployment(self, deployment_id: str) -> Deployment:
        """`GET /v13/deployments/{idOrUrl}`: readyState and the `alias` list."""
        response = self._request("GET", f"/v13/deployments/{deployment_id}", params=self._q())
        return self._deployment(response, self._json(response))

    def deployment_aliases(self, deployment_id: str) -> tuple[str, ...]:
        """`GET /v2/deployments/{id}/aliases` -> the alias host names."""
        response = self._request("GET", f"/v2/deployments/{deployment_id}/aliases", params=self._q())
        body = self._expect_dict(response, self._json(response), "{aliases}")
        aliases = body.get("aliases")
        if not isinstance(aliases, list) or not all(isinstance(a, dict) and "alias" in a for a in aliases):
            raise self._malformed(response, "an `aliases` value that is not a list of {alias}")
        return tuple(str(a["alias"]) for a in aliases)

    def rollback(self, project_id: str, deployment_id: str, description: str | None = None) -> None:
        """`POST /v1/projects/{id}/rollback/{deploymentId}` -> 201, empty; then poll `lastAliasRequest`."""
        self._request(
            "POST", f"/v1/projects/{project_id}/rollback/{deployment_id}",
            params=self._q(description=description), ok=(200, 201, 202), idempotent=True,
        )

    def promote(self, project_id: str, deployment_id: str) -> None:
        """`POST /v10/projects/{id}/promote/{deploymentId}` -> 201 or 202, empty."""
        self._request(
            "POST", f"/v10/projects/{project_id}/promote/{deployment_id}",
            params=self._q(), ok=(200, 201, 202), idempotent=True,
        )
