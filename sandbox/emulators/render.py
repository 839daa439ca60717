"""Render REST API emulator (`/v1`): services, deploys, env vars, rollback, key value; logs/metrics in render_obs."""

from __future__ import annotations

import asyncio
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.config import Commit, commit_sha
from sandbox.emulators.common import bearer_auth, build_app, json_body, render_error
from sandbox.emulators.render_obs import Observability, parse_time
from sandbox.render_model import KEY_VALUE_STATUSES, SUCCESS, RenderModel, Service, rfc3339

MAX_LIMIT = 100


def _limit(request: Request, default: int = 20) -> int | Response:
    raw = request.query_params.get("limit", str(default))
    try:
        value = int(raw)
    except ValueError:
        return render_error(400, f"invalid limit {raw!r}")
    if not 1 <= value <= MAX_LIMIT:
        return render_error(400, f"limit must be between 1 and {MAX_LIMIT}")
    return value


def _page(items: list[tuple[str, dict]], request: Request, key: str) -> Response:
    """Render's cursor pagination: `[{key: item, "cursor": str}]`, resuming after `cursor`."""
    limit = _limit(request)
    if isinstance(limit, Response):
        return limit
    cursor = request.query_params.get("cursor")
    if cursor:
        ids = [c for c, _ in items]
        items = items[ids.index(cursor) + 1:] if cursor in ids else []
    return JSONResponse([{key: item, "cursor": c} for c, item in items[:limit]])


def _in_window(deploy, q) -> bool:
    """createdBefore/After, updatedBefore/After, finishedBefore/After (RFC3339)."""
    for field, ts in (("created", deploy.created_at), ("updated", deploy.updated_at),
                      ("finished", deploy.finished_at)):
        before, after = q.get(f"{field}Before"), q.get(f"{field}After")
        if not (before or after):
            continue  # a deploy still in progress has no finishedAt: only a filter on it excludes it
        if ts is None:
            return False
        ms = int(ts * 1000)  # the API shows milliseconds: compare at that precision
        if before and not ms < round(parse_time(before, 0) * 1000):
            return False
        if after and not ms > round(parse_time(after, 0) * 1000):
            return False
    return True


def _filtered(items, request: Request, **fields):
    """The items whose field is one of the query's values, for each repeatable filter the query gives
    (docs/providers.md#render-pagination: filters repeat, e.g. `?type=web_service&type=background_worker`)."""
    found = list(items)
    for param, value_of in fields.items():
        wanted = request.query_params.getlist(param)
        if wanted:
            found = [item for item in found if value_of(item) in wanted]
    return found


def create_render_app(model: RenderModel, obs: Observability, token) -> Starlette:
    def service_or_404(request: Request) -> Service | Response:
        service = model.services.get(request.path_params["service_id"])
        return service if service is not None else render_error(404, "service not found")

    async def list_services(request: Request) -> Response:
        found = _filtered(model.services.values(), request, name=lambda s: s.name, type=lambda s: s.type,
                          ownerId=lambda s: s.owner_id, suspended=lambda s: s.to_json()["suspended"])
        return _page([(s.id, s.to_json()) for s in found], request, "service")

    async def get_service(request: Request) -> Response:
        service = service_or_404(request)
        if isinstance(service, Response) or request.method == "GET":
            return service if isinstance(service, Response) else JSONResponse(service.to_json())
        # PATCH with a partial Service body (docs/providers.md#render-service-update): the auto-deploy switch.
        body = json_body(await request.body())
        if not isinstance(body, dict):
            return render_error(400, "request body must be a JSON object")
        problem = service.update(body)
        return render_error(400, problem) if problem else JSONResponse(service.to_json())

    def key_value_or_404(request: Request):
        kv = model.key_values.get(request.path_params["key_value_id"])
        return kv if kv is not None else render_error(404, "key value instance not found")

    async def list_key_values(request: Request) -> Response:
        found = _filtered(model.key_values.values(), request, name=lambda kv: kv.name,
                          ownerId=lambda kv: kv.owner_id)
        return _page([(kv.id, kv.to_json()) for kv in found], request, "keyValue")

    async def get_key_value(request: Request) -> Response:
        kv = key_value_or_404(request)
        return kv if isinstance(kv, Response) else JSONResponse(kv.to_json())

    async def list_owners(request: Request) -> Response:
        owner = {"id": model.config.ids["render_owner_id"], "name": "digitalbrains",
                 "email": "ops@digitalbrains.sandbox.test", "type": "team", "twoFactorAuthEnabled": True}
        return JSONResponse([{"owner": owner, "cursor": owner["id"]}])

    async def deploys(request: Request) -> Response:
        service = service_or_404(request)
        if isinstance(service, Response):
            return service
        if request.method == "POST":
            body = json_body(await request.body())
            if body is not None and not isinstance(body, dict):
                return render_error(400, "request body must be a JSON object")
            body = body or {}
            if body.get("clearCache", "do_not_clear") not in ("clear", "do_not_clear"):
                return render_error(400, f"invalid clearCache {body.get('clearCache')!r}")
            # Without commitId Render deploys the branch head (docs/providers.md#render-deploy-trigger).
            sha = body.get("commitId") or await asyncio.to_thread(model.branch_head)
            if not isinstance(sha, str):
                return render_error(400, f"commitId must be a string; got {sha!r}")
            commit = model.config.commit(sha) or await asyncio.to_thread(model.find_commit, sha)
            if commit is None:
                return render_error(400, f"commit {sha} not found in the service's repository")
            return JSONResponse(model.deploy(service, commit).to_json(), status_code=201)
        statuses = request.query_params.getlist("status")
        found = [d for d in service.deploys if not statuses or d.status in statuses]
        try:
            found = [d for d in found if _in_window(d, request.query_params)]
        except ValueError as exc:
            return render_error(400, f"invalid time filter: {exc}")
        return _page([(d.id, d.to_json()) for d in found], request, "deploy")

    async def get_deploy(request: Request) -> Response:
        service = service_or_404(request)
        if isinstance(service, Response):
            return service
        deploy = model.find_deploy(service, request.path_params["deploy_id"])
        return JSONResponse(deploy.to_json()) if deploy else render_error(404, "deploy not found")

    async def rollback(request: Request) -> Response:
        service = service_or_404(request)
        if isinstance(service, Response):
            return service
        body = json_body(await request.body())
        deploy_id = body.get("deployId") if isinstance(body, dict) else None
        if not deploy_id:
            return render_error(400, "deployId is required")
        target = model.find_deploy(service, deploy_id)
        if target is None:
            return render_error(404, "deploy not found")
        if target.status not in SUCCESS:
            return render_error(400, f"deploy {deploy_id} is {target.status}; only a successful deploy "
                                     "can be rolled back to")
        return JSONResponse(model.rollback(service, target).to_json(), status_code=201)

    async def env_vars(request: Request) -> Response:
        service = service_or_404(request)
        if isinstance(service, Response):
            return service
        if request.method == "PUT":
            body = json_body(await request.body())
            if not isinstance(body, list) or not all(
                    isinstance(e, dict) and isinstance(e.get("key"), str) for e in body):
                return render_error(400, 'body must be a list of {"key": ..., "value": ...}')
            # PUT of the list replaces every env var of the service (as Render's "update env vars").
            model.replace_env(service, {e["key"]: str(e.get("value", "")) for e in body})
        items = [(k, {"key": k, "value": v}) for k, v in service.env.items()]
        return _page(items, request, "envVar")

    async def env_var(request: Request) -> Response:
        service = service_or_404(request)
        if isinstance(service, Response):
            return service
        key = request.path_params["key"]
        if request.method == "PUT":
            body = json_body(await request.body())
            if not isinstance(body, dict) or "value" not in body:
                return render_error(400, 'body must be {"value": ...}')
            model.set_env(service, key, str(body["value"]))
            return JSONResponse({"key": key, "value": service.env[key]})
        if key not in service.env:
            return render_error(404, f"env var {key} not found")
        if request.method == "DELETE":
            model.delete_env(service, key)
            return Response(status_code=204)
        return JSONResponse({"key": key, "value": service.env[key]})

    async def suspend(request: Request) -> Response:
        service = service_or_404(request)
        if isinstance(service, Response):
            return service
        action = model.suspend if request.url.path.endswith("/suspend") else model.resume
        await action(service)
        return Response(status_code=202)

    async def push_commit(request: Request) -> Response:
        """Internal (token-free): a commit lands on main with the given build flags, as a git push would."""
        body = json_body(await request.body())
        if not isinstance(body, dict) or not isinstance(body.get("build"), list):
            return JSONResponse({"error": 'body must be {"message": str, "build": [flags]}'}, status_code=400)
        commit = model.config.register(Commit(commit_sha(), str(body.get("message", "sandbox commit")),
                                              tuple(str(f) for f in body["build"]), rfc3339(time.time())))
        return JSONResponse({"sha": commit.sha}, status_code=201)

    async def key_value_status(request: Request) -> Response:
        """Internal (token-free): what the keyvalue-unavailable fault changes (the Redis keeps answering)."""
        body = json_body(await request.body())
        if not isinstance(body, dict) or body.get("status") not in KEY_VALUE_STATUSES:
            return JSONResponse({"error": f'body must be {{"status": one of {", ".join(KEY_VALUE_STATUSES)}}}'},
                                status_code=400)
        for kv in model.key_values.values():
            kv.status, kv.updated_at = body["status"], time.time()
        return JSONResponse([kv.to_json() for kv in model.key_values.values()])

    routes = [
        Route("/v1/owners", list_owners),
        Route("/v1/services", list_services),
        Route("/v1/services/{service_id}", get_service, methods=["GET", "PATCH"]),
        Route("/v1/services/{service_id}/deploys", deploys, methods=["GET", "POST"]),
        Route("/v1/services/{service_id}/deploys/{deploy_id}", get_deploy),
        Route("/v1/services/{service_id}/rollback", rollback, methods=["POST"]),
        Route("/v1/services/{service_id}/suspend", suspend, methods=["POST"]),
        Route("/v1/services/{service_id}/resume", suspend, methods=["POST"]),
        Route("/v1/services/{service_id}/env-vars", env_vars, methods=["GET", "PUT"]),
        Route("/v1/services/{service_id}/env-vars/{key}", env_var, methods=["GET", "PUT", "DELETE"]),
        Route("/v1/key-value", list_key_values),
        Route("/v1/key-value/{key_value_id}", get_key_value),
        *obs.routes(),
    ]
    internal = [Route("/_sandbox/commits", push_commit, methods=["POST"]),
                Route("/_sandbox/key-value-status", key_value_status, methods=["POST"])]
    return build_app(routes, auth=bearer_auth(token, render_error), error=render_error, extra_internal=internal,
                     rate_limit_prefix="Ratelimit-", counters=model.counters)
