"""Release steps D and E: Render API and worker live on the release commit; Vercel's production deployment of
it READY and aliased (runbook 5.C.4, 5.D.1, 5.D.2, 5.E.1, 5.E.2).

Strategy `git`: the merge to main deploys by itself (section 2); the step waits for that, bounded by
`settle_timeout_s`. Strategy `api`: the step triggers the deploys by commit. What counts as the release's
deploy: one of the commit that this release triggered, or one not older than this release's env writes to
that service (5.C.4: a redeploy applies the change) that is live, on its way, or was made during the release.
A deploy that counts and is live or on its way is never triggered again; one that counts and failed fails the
step (the previous deploy stays live).
"""
from __future__ import annotations

from datetime import UTC, datetime

from release.context import Context
from release.journal import Step, parse_iso
from release.steps.base import Result, effect, wait

SERVICES = (("API", "render_api_service_id", "render_api"), ("worker", "render_worker_service_id", "render_worker"))
VERCEL_FAILED = ("ERROR", "CANCELED", "BLOCKED", "DELETED")


def env_since(ctx: Context, scope: str) -> datetime | None:
    """When this release first went to change `scope`'s env (its deploy must be newer), None if it did not."""
    times = [parse_iso(e.intended_at) for e in ctx.journal.effects(ctx.release.id, step="env") if e.scope == scope]
    return min(times) if times else None


def _ours(ctx: Context, step: str, scope: str, kind: str) -> set[str]:
    return {e.ref for e in ctx.journal.effects(ctx.release.id, step=step, kinds=[kind]) if e.scope == scope and e.ref}


def _counts(ctx: Context, ident: str, created: datetime | None, healthy: bool, since: datetime | None,
            ours: set[str]) -> bool:
    if ident in ours:
        return True
    if since is not None and (created is None or created < since):
        return False
    started = parse_iso(ctx.release.started_at)
    return healthy or (created is not None and created >= started)


def _needs(ctx: Context, candidate_state: str | None, scope: str, env_changes: bool) -> str:
    """`live` (nothing to do), `wait` (on its way, or git's auto-deploy) or `trigger`."""
    if candidate_state in ("live", "READY"):
        return "live"
    if candidate_state is not None:
        return "wait"  # on its way, or failed: the wait reads it and the step says so
    if ctx.release.strategy == "api" or env_changes or env_since(ctx, scope) is not None:
        return "trigger"
    return "wait"


# ---------------------------------------------------------------------------------------------- Render (D)
def render_candidate(ctx: Context, service_id: str, scope: str):
    since, ours = env_since(ctx, scope), _ours(ctx, "backend", service_id, "deploy_triggered")
    mine = [d for d in ctx.render.list_deploys(service_id, limit=20) if d.commit_id == ctx.sha
            and _counts(ctx, d.id, d.created_at, d.is_live or d.in_progress, since, ours)]
    return max(mine, key=lambda d: d.created_at.timestamp() if d.created_at else 0) if mine else None


def backend(ctx: Context, step: Step) -> Result:
    services = {role: (getattr(ctx.target, field), scope) for role, field, scope in SERVICES}
    triggered = {}
    for role, (service_id, scope) in services.items():
        candidate = render_candidate(ctx, service_id, scope)
        if _needs(ctx, candidate and candidate.status, scope, False) == "trigger":
            deploy = effect(ctx, step, "deploy_triggered", ctx.sha, service_id,
                            lambda sid=service_id: ctx.render.trigger_deploy(sid, ctx.sha),
                            ref=lambda d: d.id if d else None)
            triggered[role] = deploy.id if deploy else "(queued)"
            ctx.progress.line(f"    render {role}: deploy {triggered[role]} of {ctx.sha[:12]} triggered")

    def read():
        return {role: render_candidate(ctx, sid, scope) for role, (sid, scope) in services.items()}

    def describe(seen):
        return "; ".join(f"{role} {d.id + ' ' + d.status if d else 'no deploy of the commit yet'}"
                         for role, d in seen.items())

    seen, waited, settled = wait(ctx, f"render deploys of {ctx.sha[:12]}", read,
                                 lambda s: all(d is not None and not d.in_progress for d in s.values()), describe,
                                 ctx.settings.settle_timeout_s)
    evidence = {"strategy": ctx.release.strategy, "triggered": triggered,
                "deploys": {role: d and {"id": d.id, "status": d.status} for role, d in seen.items()}}
    if not settled:
        hint = ("merge or push the release commit to main (auto-deploy), or run with --strategy api"
                if ctx.release.strategy == "git" else "check the deploys on Render")
        return Result.failed(f"not live within {ctx.settings.settle_timeout_s:g} s: {describe(seen)}; {hint}",
                             evidence, waited)
    bad = {role: d for role, d in seen.items() if not d.is_live}
    if bad:
        return Result.failed("; ".join(f"{role} deploy {d.id} of {ctx.sha[:12]} ended {d.status}"
                                       for role, d in bad.items()) + "; the previous deploy stays live", evidence,
                             waited)
    return Result.done(f"API and worker live on {ctx.sha[:12]} ({describe(seen)})", evidence, waited)


def backend_plan(ctx: Context, facts: dict) -> list[str]:
    lines = []
    for role, field, scope in SERVICES:
        service_id = getattr(ctx.target, field)
        candidate = render_candidate(ctx, service_id, scope)
        needs = _needs(ctx, candidate and candidate.status, scope, scope in facts.get("env_scopes", ()))
        if needs == "live" and scope in facts.get("env_scopes", ()):
            needs = "trigger"  # the env change needs a deploy made after it
        lines.append({"live": f"render {role} {service_id}: the commit is live already: kept",
                      "wait": f"render {role} {service_id}: wait for the deploy of the commit to be live "
                              f"({ctx.settings.settle_timeout_s:g} s)",
                      "trigger": f"render {role} {service_id}: trigger a deploy of the commit, wait until live"}[needs])
    return lines


# ---------------------------------------------------------------------------------------------- Vercel (E)
def _created(deployment) -> datetime | None:
    return datetime.fromtimestamp(deployment.created / 1000, UTC) if deployment.created else None


def vercel_candidate(ctx: Context):
    project = ctx.target.vercel_project_id
    since, ours = env_since(ctx, "vercel"), _ours(ctx, "frontend", project, "deployment_created")
    mine = [d for d in ctx.vercel.list_deployments(project, target="production", limit=20)
            if d.commit_sha == ctx.sha
            and _counts(ctx, d.id, _created(d), d.ready_state not in VERCEL_FAILED, since, ours)]
    return mine[0] if mine else None  # newest first


def _alias_state(ctx: Context, candidate) -> tuple[str | None, str, bool]:
    if candidate is None:
        return None, "no production deployment of the commit yet", False
    detail = ctx.vercel.get_deployment(candidate.id)
    aliases = set(detail.aliases) | (set(ctx.vercel.deployment_aliases(candidate.id)) if detail.ready else set())
    return candidate.id, detail.ready_state or "?", ctx.target.vercel_alias in aliases


def frontend(ctx: Context, step: Step) -> Result:
    project = ctx.target.vercel_project_id
    created = None
    candidate = vercel_candidate(ctx)
    if _needs(ctx, candidate and candidate.ready_state, "vercel", False) == "trigger":
        info = ctx.vercel.get_project(project)
        link = info.raw.get("link") if isinstance(info.raw.get("link"), dict) else {}
        git = {k: link[k] for k in ("org", "repo", "repoId") if link.get(k)}
        deployment = effect(ctx, step, "deployment_created", ctx.sha, project,
                            lambda: ctx.vercel.create_deployment(project, name=info.name or project, sha=ctx.sha,
                                                                 ref=info.production_branch, git=git),
                            ref=lambda d: d.id)
        created = deployment.id
        ctx.progress.line(f"    vercel: production deployment {deployment.id} of {ctx.sha[:12]} created")
    promoted = _ours(ctx, "frontend", project, "deployment_promoted")
    unaliased_polls = []

    def done(seen) -> bool:
        ident, state, aliased = seen
        if ident and state == "READY" and not aliased:
            unaliased_polls.append(ident)
            # After a rollback Vercel gives new production deployments no domain until a promote
            # (docs/providers.md#vercel-production-deployments): a few polls' grace, then promote it, once.
            if len(unaliased_polls) > 5 and ident not in promoted:
                effect(ctx, step, "deployment_promoted", ctx.sha, project, lambda: ctx.vercel.promote(project, ident),
                       ref=lambda _: ident)
                promoted.add(ident)
                ctx.progress.line(f"    vercel: {ident} READY without {ctx.target.vercel_alias}: promoted")
        return ident is not None and (state in VERCEL_FAILED or (state == "READY" and aliased))

    def describe(seen):
        ident, state, aliased = seen
        return f"{ident} {state}{', aliased' if aliased else ''}" if ident else state

    seen, waited, settled = wait(ctx, f"vercel production deployment of {ctx.sha[:12]}",
                                 lambda: _alias_state(ctx, vercel_candidate(ctx)), done, describe,
                                 ctx.settings.settle_timeout_s)
    ident, state, aliased = seen
    evidence = {"strategy": ctx.release.strategy, "created": created, "promoted": sorted(promoted),
                "deployment": ident, "state": state, "aliased": aliased, "alias": ctx.target.vercel_alias}
    if not settled:
        hint = ("merge or push the release commit to the production branch, or run with --strategy api"
                if ctx.release.strategy == "git" else "check the deployment on Vercel")
        return Result.failed(f"not READY and aliased within {ctx.settings.settle_timeout_s:g} s: {describe(seen)}; "
                             f"{hint}", evidence, waited)
    if state != "READY":
        return Result.failed(f"production deployment {ident} of {ctx.sha[:12]} ended {state}; the previous one "
                             "keeps serving", evidence, waited)
    return Result.done(f"production deployment {ident} of {ctx.sha[:12]} READY and aliased to "
                       f"{ctx.target.vercel_alias}", evidence, waited)


def frontend_plan(ctx: Context, facts: dict) -> list[str]:
    candidate = vercel_candidate(ctx)
    env_changes = "vercel" in facts.get("env_scopes", ())
    needs = _needs(ctx, candidate and candidate.ready_state, "vercel", env_changes)
    if needs == "live" and env_changes:
        needs = "trigger"
    return [{"live": f"vercel: production deployment {candidate and candidate.id} of the commit is READY: kept "
                     "(aliased, or promoted)",
             "wait": "vercel: wait for the production deployment of the commit, READY and aliased "
                     f"({ctx.settings.settle_timeout_s:g} s)",
             "trigger": "vercel: create the production deployment of the commit, wait until READY and aliased"}[needs]]
