"""Vercel REST API emulator: project, env, deployments, aliases, rollback and promote."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.emulators.common import bearer_auth, build_app, json_body, vercel_error
from sandbox.vercel_model import NODE_VERSIONS, Deployment, VercelModel, ms

ENV_TYPES = ("plain", "encrypted", "sensitive", "secret", "system")
ENV_TARGETS = ("production", "preview", "development")


def _targets(raw) -> list[str]:
    return [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []


def _env_problem(item, create: bool) -> str | None:
    """What is wrong with an env var body (a create needs `key` and `value`; an edit any of the fields)."""
    if not isinstance(item, dict):
        return "Each env var must be an object"
    if create and (not isinstance(item.get("key"), str) or "value" not in item):
        return 'Each env var needs "key", "value", "type" and "target"'
    if not create and not set(item) & {"key", "value", "type", "target", "comment"}:
        return 'Give at least one of "key", "value", "type", "target", "comment"'
    if "key" in item and (not isinstance(item["key"], str) or not item["key"]):
        return f"Invalid key {item['key']!r}"
    if "target" in item or create:
        target = _targets(item.get("target", list(ENV_TARGETS)))
        if not target or any(t not in ENV_TARGETS for t in target):
            return f"Invalid target {item.get('target')!r}"
    if item.get("type", "encrypted") not in ENV_TYPES:
        return f"Invalid type {item.get('type')!r}"
    return None


def create_vercel_app(model: VercelModel, token) -> Starlette:
    alias_created = model.created

    def team_ok(request: Request) -> Response | None:
        team = request.query_params.get("teamId")
        if team is not None and team != model.team_id:
            return vercel_error(403, "You don't have permission to access this team", "forbidden")
        return None

    def project_or_error(request: Request) -> Response | None:
        denied = team_ok(request)
        if denied is not None:
            return denied
        if request.path_params["project"] not in (model.project_id, model.name):
            return vercel_error(404, "Project not found", "not_found")
        return None

    def aliases_of(d: Deployment) -> list[str]:
        return [model.alias] if d.uid == model.production else []

    def summary(d: Deployment) -> dict:
        """The list shape of `GET /v7/deployments`."""
        production = d.uid == model.production
        return {
            "uid": d.uid, "name": model.name, "projectId": model.project_id, "url": d.url,
            "created": d.created, "createdAt": d.created, "buildingAt": d.building_at, "ready": d.ready,
            "readyState": d.ready_state, "state": d.ready_state,
            "readySubstate": "PROMOTED" if production else ("STAGED" if d.ready_state == "READY" else None),
            "type": "LAMBDAS", "source": "git", "target": d.target,
            "aliasAssigned": d.alias_assigned, "aliasError": None,
            "isRollbackCandidate": d.ready_state == "READY" and d.target == "production" and d.alias_assigned,
            "inspectorUrl": f"https://vercel.com/digitalbrains/{model.name}/{d.uid[4:]}",
            "creator": {"uid": "sandbox", "email": "ops@digitalbrains.sandbox.test", "username": "sandbox",
                        "githubLogin": "sandbox"},
            "meta": {"githubCommitSha": d.commit.sha, "githubCommitMessage": d.commit.message,
                     "githubCommitRef": d.ref, "githubRepo": model.name, "githubOrg": "digitalbrains"},
            "errorCode": "BUILD_FAILED" if d.ready_state == "ERROR" else None,
            "errorMessage": d.error_message,
        }

    def detail(d: Deployment) -> dict:
        """The shape of `GET /v13/deployments/{id}`."""
        body = summary(d)
        body.update({
            "id": d.uid, "status": d.ready_state, "alias": aliases_of(d),
            "automaticAliases": [f"{model.name}-git-main-digitalbrains.sandbox.test"],
            "ownerId": model.team_id, "regions": ["iad1"], "plan": "pro",
            "projectSettings": {"nodeVersion": d.node_version, "framework": "nextjs", "buildCommand": None,
                                "rootDirectory": "frontend"},
            "team": {"id": model.team_id, "name": "digitalbrains", "slug": "digitalbrains"},
            "gitSource": {"type": "github", "sha": d.commit.sha, "ref": d.ref, "repoId": 1},
        })
        if d.ready_state == "ERROR":
            body["aliasError"] = {"code": "BUILD_FAILED", "message": d.error_message}
        return body

    def project_json() -> dict:
        prod = model.get(model.production or "")
        return {
            "id": model.project_id, "name": model.name, "accountId": model.team_id,
            "nodeVersion": model.node_version, "framework": "nextjs", "rootDirectory": "frontend",
            "createdAt": model.created, "updatedAt": model.updated,
            "link": {"type": "github", "org": "digitalbrains", "repo": model.name, "productionBranch": "main",
                     "repoId": 1},
            "alias": [{"domain": model.alias, "environment": "production", "target": "PRODUCTION",
                       "configuredBy": "A", "createdAt": alias_created}],
            "targets": {"production": detail(prod)} if prod else {},
            "latestDeployments": [summary(d) for d in model.deployments[:5]],
            "env": model.env,
            "lastRollbackTarget": None,
            "lastAliasRequest": model.last_alias_request.to_json() if model.last_alias_request else None,
        }

    async def project(request: Request) -> Response:
        denied = project_or_error(request)
        if denied is not None:
            return denied
        if request.method == "PATCH":
            body = json_body(await request.body())
            if not isinstance(body, dict):
                return vercel_error(400, "Invalid request body", "bad_request")
            if "nodeVersion" in body:
                if body["nodeVersion"] not in NODE_VERSIONS:
                    return vercel_error(400, f"Invalid nodeVersion {body['nodeVersion']!r}; "
                                             f"one of {', '.join(NODE_VERSIONS)}", "bad_request")
                model.node_version = body["nodeVersion"]
            model.updated = ms()
        return JSONResponse(project_json())

    async def env(request: Request) -> Response:
        denied = project_or_error(request)
        if denied is not None:
            return denied
        if request.method == "GET":
            target = request.query_params.get("target")
            envs = [e for e in model.env if not target or target in e["target"]]
            return JSONResponse({"envs": envs})
        body = json_body(await request.body())
        items = body if isinstance(body, list) else [body]
        for item in items:
            problem = _env_problem(item, create=True)
            if problem:
                return vercel_error(400, problem, "bad_request")
        # docs/providers.md#vercel-env-writes: `upsert=true` replaces a var of the key on a shared target;
        # without it that key is not stored and is listed under `failed`, though the answer is a 201.
        upsert = request.query_params.get("upsert") == "true"
        created, failed = [], []
        for item in items:
            target = _targets(item.get("target", list(ENV_TARGETS)))
            record = model.add_env(item["key"], str(item["value"]), target, item.get("type", "encrypted"), upsert)
            if record is None:
                failed.append({"error": {"code": "ENV_ALREADY_EXISTS", "key": item["key"], "target": target,
                                         "message": f"A variable with the name `{item['key']}` already exists "
                                                    f"for the target {', '.join(target)}"}})
            else:
                created.append(record)
        return JSONResponse({"created": created[0] if len(created) == 1 and not isinstance(body, list) else created,
                             "failed": failed}, status_code=201)

    async def env_one(request: Request) -> Response:
        denied = project_or_error(request)
        if denied is not None:
            return denied
        record = next((e for e in model.env if e["id"] == request.path_params["env_id"]), None)
        if record is None:
            return vercel_error(404, "Environment variable not found", "not_found")
        if request.method == "DELETE":
            model.delete_env(record)
        elif request.method == "PATCH":
            body = json_body(await request.body())
            problem = _env_problem(body, create=False)
            if problem:
                return vercel_error(400, problem, "bad_request")
            fields = {k: body[k] for k in ("key", "value", "type", "comment") if k in body}
            if "target" in body:
                fields["target"] = _targets(body["target"])
            if "value" in fields:
                fields["value"] = str(fields["value"])
            record = model.edit_env(record, fields)
        return JSONResponse(record)

    async def list_deployments(request: Request) -> Response:
        denied = team_ok(request)
        if denied is not None:
            return denied
        q = request.query_params
        found = list(model.deployments)
        wanted_projects = [p for p in [q.get("projectId"), *q.get("projectIds", "").split(",")] if p]
        if wanted_projects and model.project_id not in wanted_projects and model.name not in wanted_projects:
            found = []
        if q.get("app") and q.get("app") != model.name:
            found = []
        if q.get("target"):
            found = [d for d in found if d.target == q["target"]]
        if q.get("state"):
            states = q["state"].split(",")
            found = [d for d in found if d.ready_state in states]
        if q.get("sha"):
            found = [d for d in found if d.commit.sha == q["sha"]]
        if q.get("rollbackCandidate") == "true":
            found = [d for d in found if summary(d)["isRollbackCandidate"]]
        if q.get("until"):
            found = [d for d in found if d.created < int(q["until"])]
        if q.get("since"):
            found = [d for d in found if d.created > int(q["since"])]
        try:
            limit = int(q.get("limit", "20"))
        except ValueError:
            return vercel_error(400, f"Invalid limit {q.get('limit')!r}", "bad_request")
        page = found[:limit]
        nxt = page[-1].created if len(found) > limit else None
        return JSONResponse({"pagination": {"count": len(page), "next": nxt, "prev": None},
                             "deployments": [summary(d) for d in page]})

    async def create_deployment(request: Request) -> Response:
        denied = team_ok(request)
        if denied is not None:
            return denied
        body = json_body(await request.body())
        if not isinstance(body, dict) or not isinstance(body.get("gitSource"), dict):
            return vercel_error(400, 'Body needs "name", "project", "target" and "gitSource"', "bad_request")
        if body.get("project", body.get("name")) not in (model.project_id, model.name):
            return vercel_error(404, "Project not found", "not_found")
        # docs/providers.md#vercel-production-deployments: the commit is `sha`, else the head of `ref`.
        git = body["gitSource"]
        sha, ref = git.get("sha"), git.get("ref") or "main"
        if sha is not None and not isinstance(sha, str) or not isinstance(ref, str):
            return vercel_error(400, "gitSource.sha and gitSource.ref must be strings", "bad_request")
        sha = sha or await asyncio.to_thread(model.ref_head, ref)
        if not sha:
            return vercel_error(400, f"Branch {ref} not found in the linked repository", "bad_request")
        commit = await asyncio.to_thread(model.find_commit, sha)
        if commit is None:
            return vercel_error(400, f"Commit {sha} not found in the linked repository", "bad_request")
        d = model.deploy(commit, body.get("target", None), ref)
        return JSONResponse(detail(d))

    async def get_deployment(request: Request) -> Response:
        denied = team_ok(request)
        if denied is not None:
            return denied
        d = model.get(request.path_params["dep"])
        return JSONResponse(detail(d)) if d else vercel_error(404, "Deployment not found", "not_found")

    async def deployment_aliases(request: Request) -> Response:
        denied = team_ok(request)
        if denied is not None:
            return denied
        d = model.get(request.path_params["dep"])
        if d is None:
            return vercel_error(404, "Deployment not found", "not_found")
        return JSONResponse({"aliases": [{"uid": "alias_" + d.uid[4:20], "alias": a, "created": d.ready,
                                          "redirect": None} for a in aliases_of(d)]})

    def alias_action(kind: str):
        async def handler(request: Request) -> Response:
            denied = project_or_error(request)
            if denied is not None:
                return denied
            d = model.get(request.path_params["dep"])
            if d is None:
                return vercel_error(404, "Deployment not found", "not_found")
            if d.ready_state != "READY" or d.target != "production":
                return vercel_error(400, f"Deployment {d.uid} is {d.ready_state} ({d.target}); only a READY "
                                         "production deployment can be aliased", "bad_request")
            req = model.last_alias_request
            if req is not None and req.job_status in ("pending", "in-progress"):
                return vercel_error(409, "An alias request is already in progress", "conflict")
            model.request_alias(kind, d)
            return Response(status_code=201)
        return handler

    async def promote_aliases(request: Request) -> Response:
        denied = project_or_error(request)
        if denied is not None:
            return denied
        req = model.last_alias_request
        status = {"succeeded": "SUCCEEDED", "failed": "FAILED"}.get(req.job_status, "PENDING") if req else "SUCCEEDED"
        failed_only = request.query_params.get("failedOnly") == "true"
        aliases = [] if failed_only and status != "FAILED" else [
            {"id": "alias_" + model.project_id[4:20], "alias": model.alias, "status": status}]
        return JSONResponse({"aliases": aliases, "pagination": {"count": len(aliases), "next": None, "prev": None}})

    routes = [
        Route("/v9/projects/{project}", project, methods=["GET", "PATCH"]),
        Route("/v10/projects/{project}/env", env, methods=["GET", "POST"]),
        Route("/v9/projects/{project}/env", env, methods=["GET", "POST"]),
        Route("/v9/projects/{project}/env/{env_id}", env_one, methods=["PATCH", "DELETE"]),
        Route("/v1/projects/{project}/env/{env_id}", env_one, methods=["GET"]),
        Route("/v7/deployments", list_deployments),
        Route("/v6/deployments", list_deployments),
        Route("/v13/deployments", create_deployment, methods=["POST"]),
        Route("/v13/deployments/{dep}", get_deployment),
        Route("/v2/deployments/{dep}/aliases", deployment_aliases),
        Route("/v1/projects/{project}/rollback/{dep}", alias_action("rollback"), methods=["POST"]),
        Route("/v9/projects/{project}/rollback/{dep}", alias_action("rollback"), methods=["POST"]),
        Route("/v10/projects/{project}/promote/{dep}", alias_action("promote"), methods=["POST"]),
        Route("/v9/projects/{project}/promote/{dep}", alias_action("promote"), methods=["POST"]),
        Route("/v1/projects/{project}/promote/aliases", promote_aliases),
        Route("/v9/projects/{project}/rollback/aliases", promote_aliases),
    ]
    return build_app(routes, auth=bearer_auth(token, vercel_error), error=vercel_error,
                     rate_limit_prefix="X-RateLimit-", counters=model.counters)
