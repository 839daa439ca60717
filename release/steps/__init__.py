"""The release's steps, one record each, in runbook order (docs/runbook.md#release-conductor).

Adding a step is one record here plus its behaviour. `run` reads the world, does only what is still missing
(recording each side effect before it says done) and returns a Result; `plan` reads only.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from release.context import Context
from release.journal import Step
from release.steps import deploys, env, migrations, stage, tag
from release.steps.base import Result


@dataclass(frozen=True)
class StepSpec:
    name: str
    letter: str  # the runbook's section 5 step it belongs to
    title: str
    lines: str  # the runbook lines it carries out or judges
    run: Callable[[Context, Step], Result]
    plan: Callable[[Context, dict], list[str]]
    stage: str | None = None  # a pytest stage (its verdict decides), else an action on the world
    after_side_effects: bool = False  # a NO-GO here rolls back (the stage's gonogo rollback hook)


def _stage(name: str) -> Callable[[Context, Step], Result]:
    return lambda ctx, step: stage.run(ctx, step, name)


def _stage_plan(name: str) -> Callable[[Context, dict], list[str]]:
    def plan(ctx: Context, facts: dict) -> list[str]:
        extra = f", soak {float(ctx.release.options['soak_duration']):g} s" if name == "soak" else ""
        rollback = f", --rollback {ctx.release.rollback} on NO-GO" if name != "predeploy" else ""
        return [f"pytest -m {name} --target {ctx.release.target.strip()} --release-sha {ctx.sha[:12]}{extra}{rollback}"]
    return plan


def _env_plan(ctx: Context, facts: dict) -> list[str]:
    lines, scopes = env.plan_with_scopes(ctx)
    facts["env_scopes"] = scopes
    return lines


STEPS: tuple[StepSpec, ...] = (
    StepSpec("tag", "A", "the app checkout is clean and holds the commit; tag release-YYYYMMDD-HHMM on it",
             "5.A.1, 5.A.3", tag.run, lambda ctx, facts: tag.plan(ctx)),
    StepSpec("predeploy", "A", "the predeploy stage (sections 1, 3, 4, 5.B.2, 5.B.3) on the release commit",
             "3.1-3.5, 3 config, 4, 5.B.2, 5.B.3", _stage("predeploy"), _stage_plan("predeploy"), stage="predeploy"),
    StepSpec("migrations", "B", "apply the pending migrations through the Supabase API, then re-list them",
             "5.B.1", migrations.run, lambda ctx, facts: migrations.plan(ctx)),
    StepSpec("env", "C", "write the env diff (section 4 baseline + release.env.toml) to Render API, worker, Vercel",
             "5.C.1-5.C.3", env.run, _env_plan),
    StepSpec("backend", "D", "Render API and worker live on the commit (git: auto-deploy; api: deploy by commit)",
             "5.C.4, 5.D.1, 5.D.2", deploys.backend, deploys.backend_plan),
    StepSpec("frontend", "E", "Vercel's production deployment of the commit READY and aliased",
             "5.E.1, 5.E.2", deploys.frontend, deploys.frontend_plan),
    StepSpec("smoke", "D/E", "the smoke stage with --release-sha (go/no-go 1-3)",
             "5.D.2, 5.D.3, 5.E.1-5.E.3, 8.1-8.3", _stage("smoke"), _stage_plan("smoke"), stage="smoke",
             after_side_effects=True),
    StepSpec("postdeploy", "F", "the postdeploy stage (go/no-go 4, 5)", "5.F.1-5.F.4, 8.4, 8.5",
             _stage("postdeploy"), _stage_plan("postdeploy"), stage="postdeploy", after_side_effects=True),
    StepSpec("soak", "F", "the soak stage (go/no-go 6), then GO", "8.6, 8.7", _stage("soak"), _stage_plan("soak"),
             stage="soak", after_side_effects=True),
)
BY_NAME = {spec.name: spec for spec in STEPS}
# Steps after which a NO-GO rolls back: everything from the migrations on changed the world.
FIRST_SIDE_EFFECT = "migrations"
