"""Release step C (runbook 5.C.1-5.C.3): the env of Render API, Render worker and Vercel made what it must be.

Desired: the section 4 baseline (runbook.toml [env_baseline]) plus the release commit's release.env.toml.
The diff against what each provider holds is written key by key through its API, each write recorded by key
name; a key already right is not written. Values are never stored or printed (docs/runbook.md#release-conductor).
"""
from __future__ import annotations

from gonogo_providers.vercel import EnvVar
from release.context import Context
from release.envdiff import Change, by_service, describe, diff, required_missing
from release.journal import Step
from release.steps.base import Result, effect

# Vercel list values of these types are ciphertext or empty: read the decrypted single var instead.
_HIDDEN_TYPES = ("encrypted", "sensitive", "secret")


def _vercel_vars(ctx: Context) -> dict[str, EnvVar]:
    found: dict[str, EnvVar] = {}
    for var in ctx.vercel.list_env(ctx.target.vercel_project_id, target="production"):
        found.setdefault(var.key, var)
    return found


def current_env(ctx: Context) -> tuple[dict[str, dict[str, str | None]], dict[str, EnvVar]]:
    """service -> key -> value (None: present but unreadable); and the Vercel vars by key, for their ids."""
    current: dict[str, dict[str, str | None]] = {
        "render_api": ctx.render.list_env_vars(ctx.target.render_api_service_id),
        "render_worker": ctx.render.list_env_vars(ctx.target.render_worker_service_id),
    }
    wanted_keys = set(ctx.wanted_env.get("vercel", {}))
    vercel_vars = _vercel_vars(ctx)
    values: dict[str, str | None] = {}
    for key, var in vercel_vars.items():
        value = var.value
        if key in wanted_keys and (var.type in _HIDDEN_TYPES or value is None) and var.id:
            value = ctx.vercel.get_env(ctx.target.vercel_project_id, var.id).value
        elif var.type in _HIDDEN_TYPES:
            value = None
        values[key] = value
    current["vercel"] = values
    return current, vercel_vars


def _write(ctx: Context, step: Step, change: Change, vercel_vars: dict[str, EnvVar]) -> None:
    wanted = ctx.wanted_env[change.service][change.key]
    kind = "env_removed" if change.action == "removed" else "env_written"
    if change.service == "vercel":
        project = ctx.target.vercel_project_id
        existing = vercel_vars.get(change.key)
        if change.action == "removed":
            def call():
                return ctx.vercel.delete_env(project, existing.id)
        else:
            targets = existing.targets if existing and "production" in existing.targets else ("production",)
            known = existing is not None and existing.type in ("plain", "encrypted", "sensitive")
            kind_of = existing.type if known else "encrypted"

            def call():
                return ctx.vercel.upsert_env(project, change.key, wanted.value, targets, type=kind_of)
    else:
        service_id = getattr(ctx.target, f"{change.service}_service_id")
        if change.action == "removed":
            def call():
                return ctx.render.delete_env_var(service_id, change.key)
        else:
            def call():
                return ctx.render.put_env_var(service_id, change.key, wanted.value)
    effect(ctx, step, kind, change.key, change.service, call, ref=lambda _: change.action)


def run(ctx: Context, step: Step) -> Result:
    current, vercel_vars = current_env(ctx)
    changes = diff(ctx.wanted_env, current)
    for change in changes:
        ctx.progress.line(f"    env {change.service}: {change.action} {change.key}")
        _write(ctx, step, change, vercel_vars)
    after, _ = current_env(ctx)
    left = diff(ctx.wanted_env, after)
    baseline = ctx.tables.get("env_baseline", {})
    missing = required_missing(baseline, after)
    evidence = {"diff": by_service(changes), "written": len(changes)}
    if left:
        return Result.failed(f"after the writes the env still differs: {describe(left)}", evidence)
    if missing:
        names = ", ".join(f"{service} {key}" for service, key in missing)
        return Result.failed(f"section 4 baseline key(s) missing and not set by the release: {names}; add them to "
                             "release.env.toml in the release commit", evidence)
    if not changes:
        return Result.done("env already as wanted on Render API, worker and Vercel: nothing written", evidence)
    return Result.done(describe(changes).replace("\n", "; "), evidence)


def plan_with_scopes(ctx: Context) -> tuple[list[str], set[str]]:
    """The plan's lines (key names only) and the services whose env would change (they need a redeploy)."""
    current, _ = current_env(ctx)
    changes = diff(ctx.wanted_env, current)
    if not changes:
        return ["no change"], set()
    return describe(changes).splitlines(), {c.service for c in changes}
