"""Section 7 as gonogo rollback actions: backend (Render), frontend (Vercel), flags. Never a down-migration.

Every action re-reads what is live first and does nothing (saying why) when it is no longer what the
verdict judged, so two operators or a retried CI job never roll back twice; and every action verifies
its own effect before it returns. A Render service rolled back also gets auto-deploy turned off, so the
next push to `main` does not undo the rollback (docs/providers.md#render-rollback).
"""
from __future__ import annotations

import httpx

from gonogo import RollbackAction
from gonogo_providers.errors import ProviderError
from gonogo_providers.render import RenderClient, auto_deploy_patch
from harness.checks import render_client, vercel_client
from harness.poll import poll
from harness.target import Target

SETTLE_TIMEOUT_S = 180.0
HEALTH_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 1.0
SERVICES = (("API", "render_api_service_id"), ("worker", "render_worker_service_id"))
# Section 7: emergency env, preferred over a code rollback for feedback-learning failures.
FLAGS = {"FEEDBACK_LEARNING_RUN_REGRESSION_GATE": "false", "FEEDBACK_LEARNING_AUTO_PUBLISH": "false"}
# What an operator does once a fixed release is ready (docs/providers.md#render-service-update).
AUTO_DEPLOY_BACK_ON = ("turn it back on once a fixed release is ready: PATCH /services/{id} {patch}, "
                       "or the dashboard's Auto-Deploy setting")
# Before the action runs, the field a service shows is not known yet (docs/providers.md#render-service-update).
_EITHER_FIELD = "autoDeploy=yes (autoDeployTrigger=commit on services that show it)"


def capture_live(target: Target) -> dict:
    """What is live now, by service: the verdict judges this; a later rollback checks it is unchanged."""
    judged: dict = {}
    try:
        if target.secrets.get("render_api_key"):
            with render_client(target) as render:
                for role, field in SERVICES:
                    deploy = render.latest_deploy(getattr(target, field))
                    judged[role] = deploy and {"id": deploy.id, "status": deploy.status, "commit": deploy.commit_id}
        if target.secrets.get("vercel_token"):
            with vercel_client(target) as vercel:
                newest = vercel.list_deployments(target.vercel_project_id, target="production", limit=1)
                project = vercel.get_project(target.vercel_project_id)
                judged["frontend"] = {"newest": newest[0].id if newest else None,
                                      "production": project.production_deployment_id}
    except ProviderError as exc:
        judged["error"] = str(exc)  # unknown: the actions then judge from what is live when they run
    return judged


def actions(target: Target, scopes, judged: dict, *, release_sha: str | None = None) -> list[RollbackAction]:
    result: list[RollbackAction] = []
    # API and worker ship from one commit: the release is the one named, else the API's live commit.
    release = release_sha or (judged.get("API") or {}).get("commit")
    if "backend" in scopes:
        for role, field in SERVICES:
            service_id = getattr(target, field)
            result.append(RollbackAction(
                name=f"render: roll back the {role} {service_id} to its previous live deploy",
                run=lambda role=role, service_id=service_id: _render_rollback(
                    target, role, service_id, judged.get(role), release),
                detail="POST /services/{id}/rollback to the newest deactivated deploy older than the live one; "
                       "wait until live; auto-deploy off (PATCH autoDeploy=no, verified) so the next push does not "
                       "undo it; " + AUTO_DEPLOY_BACK_ON.format(id=service_id, patch=_EITHER_FIELD),
            ))
        result.append(RollbackAction(
            name="api: /health healthy again", run=lambda: _health_healthy(target),
            detail=f"poll {target.api_url}/health until it answers 200 healthy ({HEALTH_TIMEOUT_S:g} s)",
        ))
    if "frontend" in scopes:
        result.append(RollbackAction(
            name=f"vercel: roll back {target.vercel_project_id} to the previous production deployment",
            run=lambda: _vercel_rollback(target, judged.get("frontend")),
            detail=f"POST /v1/projects/{{id}}/rollback/{{previous}}; wait for lastAliasRequest succeeded and "
                   f"{target.vercel_alias}",
        ))
    if "flags" in scopes:
        result.append(RollbackAction(
            name="render: feedback-learning flags off on API and worker",
            run=lambda: _flags_off(target),
            detail=", ".join(f"{k}={v}" for k, v in FLAGS.items()) + " then redeploy; pause the scheduler cron",
        ))
    return result


def _render_rollback(target: Target, role: str, service_id: str, judged: dict | None, release: str | None) -> str:
    with render_client(target) as render:
        newest = render.latest_deploy(service_id)
        if newest is None:
            raise RuntimeError(f"the {role} service has no deploys")
        if judged and newest.id != judged["id"]:
            moved = f"the newest {role} deploy is now {newest.id}, not the judged {judged['id']}"
            if newest.trigger == "rollback":
                # Rolled back already (an earlier run stopped before its last step, or an operator): finish
                # that step, which writes nothing when auto-deploy is already off.
                return f"nothing rolled back: {moved}, a rollback; {_auto_deploy_off(render, role, service_id)}"
            return f"nothing done: {moved}"
        if release and newest.commit_id != release:
            # A service the release did not touch stays as it is (section 7 names both because a
            # release normally ships to both).
            return f"nothing done: the {role} runs commit {newest.commit_id}, not the release {release} under judgment"
        if newest.status != "live":
            # A build that failed never went live: the previous deploy still serves.
            return f"nothing to roll back: the newest {role} deploy {newest.id} is {newest.status}, it never went live"
        previous = render.previous_live_deploy(service_id)
        if previous is None:
            raise RuntimeError(f"no earlier deactivated {role} deploy to roll back to")
        # Before the rollback: a push landing while it settles must not deploy the bad release again. If
        # that fails the rollback still goes ahead (the bad release must stop serving); the action then fails.
        try:
            kept, problem = _auto_deploy_off(render, role, service_id), None
        except (ProviderError, RuntimeError) as exc:
            kept, problem = "", exc
        started = render.rollback(service_id, previous.id)
        live = poll(lambda sid=service_id: render.latest_deploy(sid), lambda d: d is not None and not d.in_progress,
                    timeout=SETTLE_TIMEOUT_S, interval=POLL_INTERVAL_S, what=f"the {role} rollback deploy to settle",
                    describe=lambda d: d and f"{d.id} {d.status}")
        if live.status != "live" or live.commit_id != previous.commit_id:
            raise RuntimeError(f"after the rollback the newest {role} deploy is {live.id} {live.status} "
                               f"at commit {live.commit_id}, not {previous.commit_id}")
        done = f"rolled back {newest.id} -> {previous.id} (commit {previous.commit_id}); deploy {started.id} is live"
        if problem is not None:
            raise RuntimeError(f"{done}, but auto-deploy could not be turned off: {problem}") from problem
        return f"{done}; {kept}"


def _auto_deploy_off(render: RenderClient, role: str, service_id: str) -> str:
    """Auto-deploy off on the service, verified by reading it back; written only when it is on."""
    service = render.get_service(service_id)
    on = ", ".join(f"{k}={v}" for k, v in auto_deploy_patch(service, enabled=True).items())
    back_on = AUTO_DEPLOY_BACK_ON.format(id=service_id, patch=on)
    if service.auto_deploys is False:
        return f"auto-deploy already off on the {role} ({service.auto_deploy_field}), left as it is; {back_on}"
    body = auto_deploy_patch(service, enabled=False)
    render.update_service(service_id, current=service, autoDeploy="no")
    after = render.get_service(service_id)  # the answer to a PATCH is not proof; what a read shows is
    written = ", ".join(f"{k}={v}" for k, v in body.items())
    if after.auto_deploys is not False:
        raise RuntimeError(f"auto-deploy is still on for the {role} {service_id} after PATCH {written} "
                           f"(autoDeploy={after.auto_deploy!r}, autoDeployTrigger={after.auto_deploy_trigger!r}); "
                           "turn it off in the dashboard before the next push to main")
    return f"auto-deploy off on the {role} ({written}, verified), so a push does not undo the rollback; {back_on}"


def _health_healthy(target: Target) -> str:
    def read():
        try:
            response = httpx.get(f"{target.api_url}/health", timeout=5.0)
            return response.status_code, (response.json().get("status") if response.status_code == 200 else None)
        except (httpx.HTTPError, ValueError) as exc:
            return None, type(exc).__name__

    status = poll(read, lambda s: s == (200, "healthy"), timeout=HEALTH_TIMEOUT_S, interval=POLL_INTERVAL_S,
                  what="/health to answer 200 healthy")
    return f"GET /health answered {status[0]} {status[1]}"


def _vercel_rollback(target: Target, judged: dict | None) -> str:
    with vercel_client(target) as vercel:
        project = vercel.get_project(target.vercel_project_id)
        current = project.production_deployment_id
        if judged and current != judged["production"]:
            return f"nothing done: production is now {current}, not the judged {judged['production']}"
        if judged and judged["newest"] != current:
            return f"nothing to roll back: the newest deployment {judged['newest']} never took the production alias"
        previous = vercel.previous_production_deployment(target.vercel_project_id)
        if previous is None:
            raise RuntimeError("no earlier READY production deployment to roll back to")
        vercel.rollback(target.vercel_project_id, previous.id, description="pytest-gonogo NO-GO rollback")
        done = poll(lambda: vercel.get_project(target.vercel_project_id),
                    lambda p: (p.last_alias_request is not None
                               and p.last_alias_request.job_status in ("succeeded", "failed")),
                    timeout=SETTLE_TIMEOUT_S, interval=POLL_INTERVAL_S, what="the Vercel rollback to finish",
                    describe=lambda p: p.last_alias_request)
        if done.last_alias_request.job_status != "succeeded":
            raise RuntimeError(f"Vercel rollback to {previous.id} ended {done.last_alias_request.job_status}")
        aliases = vercel.get_deployment(previous.id).aliases
        if target.vercel_alias not in aliases:
            raise RuntimeError(f"{target.vercel_alias} does not point at {previous.id} after the rollback")
        return f"rolled back {current} -> {previous.id}; {target.vercel_alias} points at it"


def _flags_off(target: Target) -> str:
    done = []
    with render_client(target) as render:
        for role, field in SERVICES:
            service_id = getattr(target, field)
            for key, value in FLAGS.items():
                render.put_env_var(service_id, key, value)
            render.trigger_deploy(service_id)
            live = poll(lambda sid=service_id: render.latest_deploy(sid), lambda d: d is not None and not d.in_progress,
                        timeout=SETTLE_TIMEOUT_S, interval=POLL_INTERVAL_S, what=f"the {role} flag redeploy to settle")
            env = render.list_env_vars(service_id)
            wrong = {k: env.get(k) for k, v in FLAGS.items() if env.get(k) != v}
            if wrong or live.status != "live":
                raise RuntimeError(f"{role}: flags {wrong or 'set'} but redeploy {live.id} is {live.status}")
            done.append(role)
        crons = [s for s in render.list_services(type="cron_job") if "feedback" in s.name.lower()]
        paused = [render.suspend_service(s.id) or s.name for s in crons]
    scheduler = f"scheduler paused: {', '.join(paused)}" if paused else "no scheduler cron job found to pause"
    return f"flags off and redeployed on {', '.join(done)}; {scheduler}"
