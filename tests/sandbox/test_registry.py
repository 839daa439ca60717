"""The fault registry on its own (no stack): every record is consistent, dispatched, and undone by --clear."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sandbox import faults
from sandbox.config import BUILD_FAILS, SKIP_ALIAS, new_config
from sandbox.faults import APP_BUILD_FLAGS, BUILD_COMMITS, FAULTS
from sandbox.switches import Build, FaultError

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = REPO_ROOT / "sandbox" / "app"
MIGRATION_ROW = ("20250101000000", "add_feedback_learning_job_type", ["alter table learning_jobs ..."])


def _config():
    ports = {name: 20_000 + i for i, name in enumerate(("api", "frontend", "render", "vercel", "supabase", "pinecone"))}
    return new_config(Path("/nonexistent"), ports, "postgresql://postgres@127.0.0.1:1/twin", "redis://127.0.0.1:2/0",
                      {"share_token": "s", "twin_id": "t"}, "owner@example.test", "pw", builds=BUILD_COMMITS)


class FakeOperator:
    """The Operator's calls against a small in-memory world: what the providers and the database hold."""

    def __init__(self, config):
        self.c, head = config, config.head_sha
        self.env = {role: config.render_env(role) for role in ("api", "worker")}
        self.served = {role: {"sha": head, "env": dict(self.env[role])} for role in self.env}
        self.newest = {role: {"status": "live", "commit": {"id": head}} for role in self.env}
        self.node = "20.x"
        self.vercel_env = [{"id": f"env{i}", "key": k, "value": v}
                           for i, (k, v) in enumerate(config.vercel_env().items())]
        self.production, self.production_id, self.newest_uid = head, "dpl_0", "dpl_0"
        self.served_frontend = {"sha": head, "env": self._vercel_env()}
        self.index = {"ready": True, "state": "Ready"}
        self.migrations, self.rls = {MIGRATION_ROW[1]: MIGRATION_ROW}, True
        self.suspended = {role: False for role in self.env}
        self.auto = {role: "yes" for role in self.env}
        self.keyvalue = "available"
        self.pushed: dict[str, list[str]] = {}

    def world(self) -> dict:
        """What a runbook run could observe (not deploy ids)."""
        return copy.deepcopy({k: v for k, v in vars(self).items() if k not in ("c", "pushed", "newest_uid",
                                                                               "production_id", "newest")}
                             | {"newest": self.newest, "aliased": self.newest_uid == self.production_id})

    def _build(self, sha: str) -> list[str]:
        commit = self.c.commit(sha)
        return list(commit.build) if commit else self.pushed[sha]

    def _vercel_env(self) -> dict:
        return {e["key"]: e["value"] for e in self.vercel_env}

    # Render
    def render_service(self, role):
        return {"suspended": "suspended" if self.suspended[role] else "not_suspended", "autoDeploy": self.auto[role]}

    def suspend(self, role):
        self.suspended[role] = True

    def resume(self, role):
        self.suspended[role] = False

    def auto_deploy(self, role, value):
        self.auto[role] = value

    def keyvalue_status(self):
        return self.keyvalue

    def set_keyvalue_status(self, status):
        self.keyvalue = status

    def render_env(self, role):
        return dict(self.env[role])

    def put_env(self, role, key, value):
        self.env[role][key] = value

    def delete_env(self, role, key):
        del self.env[role][key]

    def replace_env(self, role, env):
        self.env[role] = dict(env)

    def newest_deploy(self, role):
        return self.newest[role]

    def live_sha(self, role):
        return self.served[role]["sha"]

    def deploy(self, role, sha=None):
        status = "build_failed" if BUILD_FAILS in self._build(sha) else "live"
        self.newest[role] = {"status": status, "commit": {"id": sha}}
        if status == "live":
            self.served[role] = {"sha": sha, "env": dict(self.env[role])}
        return status

    def push_commit(self, message, build):
        sha = f"pushed{len(self.pushed)}"
        self.pushed[sha] = list(build)
        return sha

    # Vercel
    def vercel_project(self):
        return {"nodeVersion": self.node, "latestDeployments": [{"uid": self.newest_uid}],
                "targets": {"production": {"id": self.production_id, "meta": {"githubCommitSha": self.production}}}}

    def production_sha(self):
        return self.production

    def node_version(self, version):
        self.node = version

    def vercel_envs(self):
        return list(self.vercel_env)

    def add_vercel_env(self, key, value):
        self.vercel_env.append({"id": f"env{len(self.vercel_env)}", "key": key, "value": value})

    def delete_vercel_env(self, env_id):
        self.vercel_env = [e for e in self.vercel_env if e["id"] != env_id]

    def vercel_deploy(self, sha):
        self.newest_uid = f"dpl_{len(self.pushed)}_{sha[:6]}_{len(self.vercel_env)}"
        if SKIP_ALIAS not in self._build(sha):
            self.production, self.production_id = sha, self.newest_uid
            self.served_frontend = {"sha": sha, "env": self._vercel_env()}
        return "READY"

    # Pinecone and SQL
    def pinecone_status(self):
        return dict(self.index)

    def set_pinecone_status(self, ready, state):
        self.index = {"ready": ready, "state": state}

    def sql(self, statement, params=()):
        if statement.startswith("select version, name, statements"):
            return [self.migrations[params[0]]] if params[0] in self.migrations else []
        if statement.startswith("delete from supabase_migrations"):
            self.migrations.pop(params[0], None)
            return []
        if statement.startswith("insert into supabase_migrations"):
            if params[1] in self.migrations:
                return []
            self.migrations[params[1]] = tuple(params)
            return [(params[0],)]
        if statement.startswith("select relrowsecurity"):
            return [(self.rls,)]
        if match := re.fullmatch(r"alter table feedback_events (enable|disable) row level security", statement):
            self.rls = match[1] == "enable"
            return []
        raise AssertionError(f"unexpected SQL: {statement}")


@pytest.mark.parametrize("name", FAULTS)
def test_each_fault_changes_the_world_and_clear_restores_it_once(name):
    op = FakeOperator(_config())
    baseline, saved = op.world(), {}
    faults.apply(op, name, saved, [])
    assert op.world() != baseline, f"{name} changed nothing"
    assert faults.clear(op, saved), "--clear says what it restored"
    assert op.world() == baseline
    # A second --clear finds the baseline and does nothing (a re-run after a crash does nothing twice).
    assert faults.clear(op, saved) == [] and op.world() == baseline


def test_build_faults_of_one_service_stack_into_one_release():
    op = FakeOperator(_config())
    faults.apply(op, "bad-deploy-health", {}, [])
    faults.apply(op, "cors-wildcard", {}, ["bad-deploy-health"])
    assert op.c.commit(op.live_sha("api")).build == ("bad-health",), "an env fault redeploys the live commit"
    faults.apply(op, "share-writes-training", {}, ["bad-deploy-health", "cors-wildcard"])
    assert op.pushed[op.live_sha("api")] == ["bad-health", "share-writes-training"]
    assert op.served["api"]["env"]["ALLOWED_ORIGINS"] == "*"
    # Another service's build fault does not carry the API's flags.
    faults.apply(op, "worker-stalled", {}, ["bad-deploy-health", "share-writes-training"])
    assert op.c.commit(op.live_sha("worker")).build == ("worker-stalled",)


def test_clear_resumes_a_suspended_service_and_turns_auto_deploy_back_on():
    # A release conductor turns auto-deploy off after a rollback; --clear puts the healthy baseline back.
    op = FakeOperator(_config())
    baseline = op.world()
    op.auto_deploy("api", "no")
    faults.apply(op, "worker-suspended", {}, [])
    assert op.suspended["worker"] and op.world() != baseline
    assert set(faults.clear(op, {})) == {"render worker: resumed", "render api: autoDeploy yes"}
    assert op.world() == baseline


def test_a_deploy_that_settles_otherwise_is_a_fault_error():
    op = FakeOperator(_config())
    op.deploy = lambda role, sha=None: "live"  # a toolchain bump that builds after all
    with pytest.raises(FaultError, match="ended live, expected build_failed"):
        faults.apply(op, "deploy-build-failed", {}, [])


def test_every_criterion_a_fault_names_is_declared_in_the_runbook():
    runbook = tomllib.loads((REPO_ROOT / "runbook.toml").read_text())
    # A limit on the difference from the last GO is a criterion outcome too (runbook.toml [limits.*]).
    declared = {*runbook["criteria"], *runbook.get("limits", {})}
    for fault in FAULTS.values():
        assert fault.no_go and fault.no_go <= declared, f"{fault.name}: {sorted(fault.no_go - declared)}"
        assert fault.drill_module in ("config", "deploy", "go", "release"), fault.name


def test_every_app_build_flag_has_its_code_path_in_the_app():
    from sandbox.app.settings import BuildFlag

    sources = "".join(p.read_text() for p in APP.glob("*.py") if p.name != "settings.py")
    assert {f.value for f in BuildFlag} == APP_BUILD_FLAGS
    for flag in BuildFlag:
        assert f"BuildFlag.{flag.name}" in sources, f"no app code reads the {flag.value!r} build flag"


def test_each_build_fault_has_its_commit_registered_at_up():
    config = _config()
    for fault in FAULTS.values():
        if isinstance(fault.switch, Build):
            commit = config.commit(config.commit_sha(fault.switch.commit, fault.switch.flags))
            assert commit.app_build() == ",".join(fault.switch.app_flags), fault.name


def test_the_cli_lists_and_names_exactly_the_registry():
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=30)
    listed = cli("faults")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(FAULTS)
    for line, fault in zip(lines, FAULTS.values(), strict=True):
        assert fault.switch.arrives in line and fault.effect in line and min(fault.no_go) in line
    helped = " ".join(cli("fault", "--help").stdout.split())
    assert all(name in helped.replace("- ", "-") for name in FAULTS)
