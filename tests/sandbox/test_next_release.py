"""The sandbox as a release to make: the next release in the checkout, the release-step emulators, counters.

Its own sandbox: the tests here apply the next release's migration, deploy `next` and rewrite it.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import httpx
import psycopg
import pytest
from _stack import module_stack, wait_deploy, wait_vercel

from sandbox.checkout import NEXT_ENV, _next_env_file
from sandbox.counters import Counters

stack = module_stack()
PROJECT = "verified-digital-twin-brains"
TONE_MIGRATION = "persona_tone_setting"


def git(stack, *args: str) -> str:
    res = subprocess.run(["git", "-C", stack.status["app_repo"], *args], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def counters(stack) -> dict:
    res = stack.cli("counters", "--json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def process_env(stack, name: str) -> dict[str, str]:
    """The environment the running process `name` (api, worker, frontend) was started with."""
    pid = (stack.state_dir / "pids" / f"{name}.pid").read_text().split()[0]
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def apply(stack, name: str, query: str) -> httpx.Response:
    with stack.supabase() as sb:
        return sb.post(f"/v1/projects/{stack.status['supabase_project_ref']}/database/migrations",
                       json={"query": query, "name": name})


def listed(stack) -> list[dict]:
    with stack.supabase() as sb:
        return sb.get(f"/v1/projects/{stack.status['supabase_project_ref']}/database/migrations").json()


def production_deployment(stack, git_source: dict) -> dict:
    with stack.vercel() as v:
        res = v.post("/v13/deployments", json={"name": PROJECT, "project": stack.status["vercel_project_id"],
                                               "target": "production", "gitSource": {"type": "github", **git_source}})
        assert res.status_code == 200, res.text
        return wait_vercel(v, res.json()["id"])


def test_next_is_one_commit_on_main_with_one_migration_and_one_env_change(stack):
    s = stack.status
    assert s["next_release_branch"] == "next" and s["next_release_sha"] == git(stack, "rev-parse", "next")
    assert git(stack, "rev-parse", "next^") == s["release_sha"] == git(stack, "rev-parse", "main")
    assert git(stack, "log", "-1", "--format=%s", "next") == "feat: persona tone setting"
    assert git(stack, "rev-parse", "--abbrev-ref", "HEAD") == "main" and git(stack, "status", "--porcelain") == ""
    changed = git(stack, "diff", "--name-status", "main", "next").splitlines()
    assert changed == ["M\trelease.env.toml", f"A\tsupabase/migrations/20251124100000_{TONE_MIGRATION}.sql"]
    env_diff = [line for line in git(stack, "diff", "-U0", "main", "next", "--", "release.env.toml").splitlines()
                if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert env_diff == ['+PERSONA_TONE_DEFAULT = "warm"']
    assert tomllib.loads(git(stack, "show", "main:release.env.toml")) == {
        "render_api": {}, "render_worker": {}, "vercel": {}}
    assert tomllib.loads(git(stack, "show", "next:release.env.toml")) == {
        "render_api": {"PERSONA_TONE_DEFAULT": "warm"}, "render_worker": {}, "vercel": {}}
    assert "persona_tone" not in json.dumps(process_env(stack, "api")), "no service has the key today"


def test_main_mirrors_the_applied_migrations_so_only_the_new_one_is_pending(stack):
    on_main = git(stack, "ls-tree", "--name-only", "main", "supabase/migrations/").splitlines()
    on_next = git(stack, "ls-tree", "--name-only", "next", "supabase/migrations/").splitlines()
    applied = listed(stack)
    assert [Path(f).stem for f in on_main] == [f"{m['version']}_{m['name']}" for m in applied]
    known = {m["version"] for m in applied} | {m["name"] for m in applied}
    pending = [f for f in on_next if not {Path(f).stem.split("_", 1)[0], Path(f).stem.split("_", 1)[1]} & known]
    assert pending == [f"supabase/migrations/20251124100000_{TONE_MIGRATION}.sql"]


def test_a_failing_migration_answers_400_and_records_nothing(stack):
    before, counted = listed(stack), counters(stack)["supabase"]["migrations_applied"]
    res = apply(stack, "half_done", "create table half_done (id int);\nselect no_such_column from twins;")
    assert res.status_code == 400
    assert res.json() == {"message": 'Failed to run sql query: ERROR:  42703: column "no_such_column" does not exist'}
    assert listed(stack) == before
    with psycopg.connect(stack.status["database_url"]) as conn:
        assert conn.execute("select to_regclass('public.half_done')").fetchone() == (None,), "rolled back"
    assert counters(stack)["supabase"]["migrations_applied"] == counted
    assert apply(stack, "", "select 1").status_code == 400
    assert apply(stack, "no_query", " ").status_code == 400
    anonymous = httpx.post(f"{stack.status['supabase_api_url']}/v1/projects/{stack.status['supabase_project_ref']}"
                           "/database/migrations", json={"query": "select 1", "name": "x"}, timeout=5)
    assert anonymous.status_code == 401


def test_the_next_migration_applies_once_and_is_listed_by_name_with_a_fresh_version(stack):
    sql = git(stack, "show", f"next:supabase/migrations/20251124100000_{TONE_MIGRATION}.sql")
    res = apply(stack, TONE_MIGRATION, sql)
    assert res.status_code == 201, res.text
    version = res.json()["version"]
    assert res.json() == {"version": version, "name": TONE_MIGRATION} and len(version) == 14 and version.isdigit()
    assert listed(stack)[-1] == {"version": version, "name": TONE_MIGRATION}
    with psycopg.connect(stack.status["database_url"]) as conn:
        column = conn.execute("select is_nullable from information_schema.columns "
                              "where table_name = 'twins' and column_name = 'persona_tone'").fetchone()
    assert column == ("YES",), "the SQL really ran"
    again = apply(stack, TONE_MIGRATION, sql)
    assert again.status_code == 400 and "already exists" in again.json()["message"]
    assert counters(stack)["supabase"]["migrations_applied"] == {TONE_MIGRATION: 1}
    assert httpx.get(stack.status["api_url"] + "/health", timeout=5).json()["status"] == "healthy"


def test_render_env_write_and_deploy_by_commit_run_the_next_build(stack):
    sid, sha = stack.status["render_api_service_id"], stack.status["next_release_sha"]
    _, key, value = NEXT_ENV
    before = counters(stack)["render"]
    with stack.render() as r:
        assert r.put(f"/services/{sid}/env-vars/{key}", json={"value": value}).json() == {"key": key, "value": value}
        dep = r.post(f"/services/{sid}/deploys", json={"clearCache": "do_not_clear", "commitId": sha})
        assert dep.status_code == 201 and dep.json()["commit"]["id"] == sha and dep.json()["trigger"] == "api"
        assert dep.json()["commit"]["message"] == "feat: persona tone setting"
        assert wait_deploy(r, sid, dep.json()["id"])["status"] == "live"
    env = process_env(stack, "api")
    assert env["RENDER_GIT_COMMIT"] == sha and env[key] == value and env["SANDBOX_BUILD"] == ""
    health = httpx.get(stack.status["api_url"] + "/health", timeout=5)
    assert health.status_code == 200 and health.json()["build"] == "healthy"
    after = counters(stack)["render"]
    assert after["env_writes"][sid].get(key, 0) == before["env_writes"].get(sid, {}).get(key, 0) + 1
    assert after["deploys"][sid]["api"] == before["deploys"].get(sid, {}).get("api", 0) + 1
    assert after["deploys"].get(stack.status["render_worker_service_id"]) == \
        before["deploys"].get(stack.status["render_worker_service_id"]), "only the service deployed counts"


@pytest.mark.parametrize("source", ["sha", "ref"])
def test_vercel_production_deployment_of_next_is_ready_and_aliased(stack, source):
    sha, alias = stack.status["next_release_sha"], stack.status["vercel_alias"]
    made = counters(stack)["vercel"]["deployments"].get("production", 0)
    done = production_deployment(stack, {"sha": sha, "ref": "next", "repoId": 1} if source == "sha"
                                 else {"ref": "next", "repoId": 1})
    assert done["readyState"] == "READY" and done["aliasAssigned"] is True and alias in done["alias"]
    assert done["meta"]["githubCommitSha"] == sha and done["meta"]["githubCommitRef"] == "next"
    with stack.vercel() as v:
        assert v.get(f"/v9/projects/{stack.status['vercel_project_id']}").json()["targets"]["production"]["id"] \
            == done["id"]
    assert process_env(stack, "frontend")["VERCEL_GIT_COMMIT_SHA"] == sha, "the frontend runs the next build"
    assert counters(stack)["vercel"]["deployments"]["production"] == made + 1
    with stack.vercel() as v:
        missing = v.post("/v13/deployments", json={"name": PROJECT, "project": PROJECT, "target": "production",
                                                   "gitSource": {"type": "github", "ref": "no-such-branch"}})
    assert missing.status_code == 400 and "no-such-branch" in missing.json()["error"]["message"]


def test_vercel_env_create_upsert_patch_delete_and_their_counts(stack):
    pid, key = stack.status["vercel_project_id"], "NEXT_PUBLIC_PERSONA_TONE"
    body = {"key": key, "value": "warm", "type": "plain", "target": ["production"]}
    with stack.vercel() as v:
        created = v.post(f"/v10/projects/{pid}/env", params={"upsert": "true"}, json=body)
        assert created.status_code == 201 and created.json()["failed"] == []
        env_id = created.json()["created"]["id"]
        clash = v.post(f"/v10/projects/{pid}/env", json=body | {"value": "cold"})
        assert clash.status_code == 201 and clash.json()["created"] == []
        assert clash.json()["failed"][0]["error"]["code"] == "ENV_ALREADY_EXISTS"
        assert v.get(f"/v1/projects/{pid}/env/{env_id}").json()["value"] == "warm", "not stored"
        patched = v.patch(f"/v9/projects/{pid}/env/{env_id}", json={"value": "neutral"})
        assert patched.status_code == 200 and patched.json()["value"] == "neutral"
        assert v.patch(f"/v9/projects/{pid}/env/{env_id}", json={"target": ["nowhere"]}).status_code == 400
        upserted = v.post(f"/v10/projects/{pid}/env", params={"upsert": "true"}, json=body)
        new_id = upserted.json()["created"]["id"]
        assert [e["value"] for e in v.get(f"/v10/projects/{pid}/env").json()["envs"] if e["key"] == key] == ["warm"]
        assert v.delete(f"/v9/projects/{pid}/env/{new_id}").status_code == 200
        assert v.delete(f"/v9/projects/{pid}/env/{new_id}").status_code == 404
    assert counters(stack)["vercel"]["env_writes"][key] == 4, "create, patch, upsert, delete (not the clash)"


def test_counters_cli_and_endpoint_agree_and_start_at_up(stack):
    got = counters(stack)
    assert set(got) == {"render", "vercel", "supabase", "pinecone"}
    assert set(got["render"]) == {"since", "env_writes", "deploys"}
    assert set(got["vercel"]) == {"since", "env_writes", "deployments", "alias_requests"}
    assert set(got["supabase"]) == {"since", "migrations_applied"} and set(got["pinecone"]) == {"since"}
    for name in got:
        base = stack.status[f"{name}_api_url"].removesuffix("/v1")
        assert httpx.get(base + "/_sandbox/counters", timeout=5).json() == got[name]
    human = stack.cli("counters")
    assert human.returncode == 0 and "supabase  migrations_applied  persona_tone_setting: 1" in human.stdout
    assert "render    env_writes          api service / PERSONA_TONE_DEFAULT: 1" in human.stdout


def test_next_release_build_ships_a_bad_build_and_reset_makes_it_healthy(stack):
    healthy, sid = stack.status["next_release_sha"], stack.status["render_api_service_id"]
    res = stack.cli("next-release", "--build", "bad-deploy-health")
    assert res.returncode == 0 and "build: bad-health" in res.stdout, res.stderr
    bad = git(stack, "rev-parse", "next")
    assert bad != healthy and git(stack, "rev-parse", "next^") == stack.status["release_sha"]
    assert "Sandbox-Build: bad-health" in git(stack, "log", "-1", "--format=%B", "next")
    assert git(stack, "diff", "--name-only", healthy, bad) == "", "the same tree: only the build differs"
    assert json.loads(stack.cli("status", "--json").stdout)["next_release_sha"] == bad
    assert stack.cli("next-release", "--build", "bad-deploy-health").returncode == 0
    assert git(stack, "rev-parse", "next") == bad, "rewriting to what is there is a no-op"
    with stack.render() as r:
        dep = r.post(f"/services/{sid}/deploys", json={"clearCache": "do_not_clear", "commitId": bad}).json()
        assert wait_deploy(r, sid, dep["id"])["status"] == "live"
    assert httpx.get(stack.status["api_url"] + "/health", timeout=5).status_code == 503
    reset = stack.cli("next-release", "--reset")
    assert reset.returncode == 0 and "build: healthy" in reset.stdout
    assert git(stack, "rev-parse", "next") == healthy == json.loads(stack.cli("status", "--json").stdout)[
        "next_release_sha"]
    assert git(stack, "rev-parse", "--abbrev-ref", "HEAD") == "main" and git(stack, "status", "--porcelain") == ""


def test_next_release_usage_errors(stack):
    for args, says in ((("--build", "cors-wildcard"), "not a build fault"),
                       (("--build", "bad-deploy-health", "--reset"), "not both")):
        res = stack.cli("next-release", *args)
        assert res.returncode == 2 and says in res.stderr, res.stderr
    shown = stack.cli("next-release")
    assert shown.returncode == 0 and stack.status["next_release_sha"][:12] in shown.stdout


def test_counters_and_the_env_file_edit_in_isolation():
    c = Counters("deploys")
    c.add("deploys", "srv-a", "api")
    c.add("deploys", "srv-a", "api")
    c.add("deploys", "srv-a", "rollback")
    assert c.to_json()["deploys"] == {"srv-a": {"api": 2, "rollback": 1}}
    assert _next_env_file("[vercel]\n") == '[vercel]\n\n[render_api]\nPERSONA_TONE_DEFAULT = "warm"\n'
    edited = _next_env_file('# x\n[render_api]\nA = "1"\n')
    assert edited == '# x\n[render_api]\nPERSONA_TONE_DEFAULT = "warm"\nA = "1"\n'
