"""Release steps B and C against the providers' documented shapes (httpx.MockTransport): only the difference is
written, each write journaled by name before the step says done, and a second run writes nothing."""

from __future__ import annotations

import io
import json

import httpx
import pytest

from gonogo_providers.render import RenderClient
from gonogo_providers.supabase import SupabaseClient
from gonogo_providers.vercel import VercelClient
from release import commands
from release.checkout import Checkout
from release.context import Context, Settings, resolve_target, runbook_tables
from release.journal import Journal
from release.progress import Progress
from release.steps import env, migrations

SECRET = "sk-operator-secret-9876"


class World:
    """The providers' state: Render env per service, Vercel production env, Supabase's migration list."""

    def __init__(self) -> None:
        section4 = runbook_tables()["env_baseline"]
        baseline = {**{k: "set" for k in section4["render_required"]}, "SUPABASE_SERVICE_KEY": "set",
                    **section4["render_expected"]}
        self.render = {"srv-a": dict(baseline, DEV_MODE="true"), "srv-w": dict(baseline)}
        self.render["srv-a"].pop("OPENAI_API_KEY")
        self.vercel = [{"id": "env_1", "key": "NEXT_PUBLIC_E2E_BYPASS_AUTH", "value": "enc:xyz", "type": "encrypted",
                        "target": ["production"]}] + [
            {"id": f"env_{k}", "key": k, "value": "v", "type": "plain", "target": ["production"]}
            for k in section4["vercel_required"]]
        self.migrations = [{"version": "20260915093000", "name": "phase7_feedback_learning_loop"},
                           {"version": "20261020101500", "name": "add_feedback_learning_job_type"}]
        self.writes: list[str] = []
        self.deploys: dict[str, list[dict]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        parts = path.strip("/").split("/")
        if path.startswith("/v1/services/") and path.endswith("/deploys"):
            return httpx.Response(200, json=[{"deploy": d, "cursor": d["id"]} for d in self.deploys.get(parts[2], [])])
        if path.startswith("/v1/services/"):
            service = self.render[parts[2]]
            if method == "GET":
                return httpx.Response(200, json=[{"envVar": {"key": k, "value": v}, "cursor": k}
                                                 for k, v in service.items()])
            self.writes.append(f"render {method} {parts[2]} {parts[4]}")
            if method == "PUT":
                service[parts[4]] = json.loads(request.content)["value"]
                return httpx.Response(200, json={"key": parts[4], "value": service[parts[4]]})
            service.pop(parts[4])
            return httpx.Response(204)
        if path.startswith("/v10/projects/") and method == "GET":
            return httpx.Response(200, json={"envs": self.vercel})
        if path.startswith("/v1/projects/") and "/env/" in path:
            record = next(e for e in self.vercel if e["id"] == parts[-1])
            return httpx.Response(200, json={**record, "value": "1", "decrypted": True})
        if path.startswith("/v9/projects/") and method == "DELETE":
            self.writes.append(f"vercel DELETE {parts[-1]}")
            self.vercel = [e for e in self.vercel if e["id"] != parts[-1]]
            return httpx.Response(200, json={})
        if path.endswith("/database/migrations"):
            if method == "GET":
                return httpx.Response(200, json=self.migrations)
            body = json.loads(request.content)
            self.writes.append(f"supabase apply {body['name']}")
            self.migrations.append({"version": "20261129120000", "name": body["name"]})
            return httpx.Response(201, json={"version": "20261129120000", "name": body["name"]})
        return httpx.Response(404, json={"message": f"no route {method} {path}"})


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def ctx(fake_sandbox, app_repo, tmp_path, world, monkeypatch):
    monkeypatch.setenv("RELEASE_TEST_OPENAI", SECRET)
    tables = runbook_tables()
    target, spec = resolve_target(str(fake_sandbox), tables)
    checkout = Checkout(app_repo)
    sha = checkout.resolve("next")
    (app_repo / "release.env.toml").write_text(
        '[render_api]\nPERSONA_TONE_DEFAULT = "warm"\nOPENAI_API_KEY = { env = "RELEASE_TEST_OPENAI" }\n')
    journal = Journal.open(str(tmp_path / "journal.sqlite"))
    wanted = commands._wanted_env(tables, checkout, sha)
    wanted["render_api"]["OPENAI_API_KEY"] = type(wanted["render_api"]["PERSONA_TONE_DEFAULT"])(SECRET, "$X")
    draft = commands._new_release(target, spec, sha, {"soak_duration": 5.0}, "api", "plan", tmp_path / "reports")
    values = {k: getattr(draft, k) for k in ("id", "target", "target_spec", "sha", "tag", "strategy", "rollback",
                                             "options", "release_dir", "started_at")}
    release = journal.create_release(**values)
    out = io.StringIO()
    context = Context(journal=journal, target=target, tables=tables, settings=Settings.for_target(target, tables),
                      checkout=checkout, progress=Progress(out, secrets=[SECRET]), release=release, wanted_env=wanted)
    transport = httpx.MockTransport(world)
    context._clients = {"render": RenderClient(api_key="k" * 8, base_url="http://render.test/v1", transport=transport),
                        "vercel": VercelClient(token="t" * 8, base_url="http://vercel.test", transport=transport),
                        "supabase": SupabaseClient(access_token="s" * 8, base_url="http://supabase.test",
                                                   transport=transport)}
    context.out = out
    yield context
    context.close()
    journal.close()


def _step(ctx, name, seq):
    return ctx.journal.start_step(ctx.release.id, seq, name)


def test_env_writes_only_the_difference_and_journals_names(ctx, world, tmp_path):
    lines, scopes = env.plan_with_scopes(ctx)
    assert lines == ["render_api: added OPENAI_API_KEY, PERSONA_TONE_DEFAULT; changed DEV_MODE",
                     "vercel: removed NEXT_PUBLIC_E2E_BYPASS_AUTH"] and scopes == {"render_api", "vercel"}
    result = env.run(ctx, _step(ctx, "env", 4))
    assert result.state == "done", result.detail
    assert sorted(world.writes) == ["render PUT srv-a DEV_MODE", "render PUT srv-a OPENAI_API_KEY",
                                    "render PUT srv-a PERSONA_TONE_DEFAULT", "vercel DELETE env_1"]
    assert world.render["srv-a"]["OPENAI_API_KEY"] == SECRET
    effects = ctx.journal.effects(ctx.release.id, step="env")
    assert sorted((e.scope, e.subject, e.ref, e.state) for e in effects) == [
        ("render_api", "DEV_MODE", "changed", "applied"), ("render_api", "OPENAI_API_KEY", "added", "applied"),
        ("render_api", "PERSONA_TONE_DEFAULT", "added", "applied"),
        ("vercel", "NEXT_PUBLIC_E2E_BYPASS_AUTH", "removed", "applied")]
    assert result.evidence["diff"]["render_api"]["added"] == ["OPENAI_API_KEY", "PERSONA_TONE_DEFAULT"]
    # nowhere a value: not in the journal's file, not in what was printed
    ctx.journal.end_step(ctx.journal.step(ctx.release.id, "env"), "done", "done", result.detail,
                         evidence=result.evidence)
    blob = (tmp_path / "journal.sqlite").read_bytes() + (tmp_path / "journal.sqlite-wal").read_bytes()
    assert SECRET.encode() not in blob and b"warm" not in blob
    assert SECRET not in ctx.out.getvalue() and "warm" not in ctx.out.getvalue()
    # run again: the world is as wanted, nothing is written
    world.writes.clear()
    again = env.run(ctx, _step(ctx, "env", 4))
    assert again.state == "done" and world.writes == [] and again.evidence["written"] == 0


def test_migrations_apply_the_pending_one_once(ctx, world):
    assert migrations.plan(ctx) == ["apply migration persona_tone_setting (20251124100000)",
                                    "re-read the migration list"]
    result = migrations.run(ctx, _step(ctx, "migrations", 3))
    assert result.state == "done" and world.writes == ["supabase apply persona_tone_setting"]
    [effect] = ctx.journal.effects(ctx.release.id, step="migrations")
    assert (effect.subject, effect.ref, effect.state) == ("persona_tone_setting", "20251124100000", "applied")
    # Supabase gave it its own version: the name is what the list now holds, and it counts as applied
    again = migrations.run(ctx, _step(ctx, "migrations", 3))
    assert again.state == "done" and world.writes == ["supabase apply persona_tone_setting"]
    assert again.evidence["already_applied"] == ["persona_tone_setting"] and migrations.plan(ctx) == [
        "no pending migration"]


def _deploy(ident: str, sha: str, status: str, created: str) -> dict:
    return {"id": ident, "status": status, "trigger": "new_commit", "commit": {"id": sha, "message": "m"},
            "createdAt": created, "finishedAt": created}


def test_which_deploy_counts_as_the_release(ctx, world):
    from release.steps import deploys

    sha, started = ctx.sha, ctx.release.started_at
    old = "2020-01-01T00:00:00Z"
    # git strategy: nothing of the commit yet, no env change -> wait for the auto-deploy
    ctx.release = type(ctx.release)(**{**ctx.release.__dict__, "strategy": "git"})
    assert deploys.backend_plan(ctx, {}) == [
        "render API srv-a: wait for the deploy of the commit to be live (120 s)",
        "render worker srv-w: wait for the deploy of the commit to be live (120 s)"]
    # the merge already deployed the commit on both: kept
    world.deploys = {"srv-a": [_deploy("dep-a1", sha, "live", old)], "srv-w": [_deploy("dep-w1", sha, "live", old)]}
    assert all(line.endswith("the commit is live already: kept") for line in deploys.backend_plan(ctx, {}))
    # ... unless this release changes that service's env: the change needs a deploy made after it (5.C.4)
    assert deploys.backend_plan(ctx, {"env_scopes": {"render_api"}})[0].endswith(
        "trigger a deploy of the commit, wait until live")
    step = ctx.journal.start_step(ctx.release.id, 4, "env")
    ctx.journal.applied(ctx.journal.intend(ctx.release.id, "env", "env_written", "X", "render_api"), "added")
    ctx.journal.end_step(step, "done", "done", "")
    assert deploys.render_candidate(ctx, "srv-a", "render_api") is None
    assert deploys.render_candidate(ctx, "srv-w", "render_worker").id == "dep-w1"
    # a failed deploy of the commit from before the release is stale: it does not count
    world.deploys["srv-w"] = [_deploy("dep-w0", sha, "build_failed", old)]
    assert deploys.render_candidate(ctx, "srv-w", "render_worker") is None
    # one that failed during the release does: the step reports it rather than deploying again
    world.deploys["srv-w"].append(_deploy("dep-w2", sha, "build_failed", started))
    assert deploys.render_candidate(ctx, "srv-w", "render_worker").id == "dep-w2"
