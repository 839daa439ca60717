"""Target loading: named targets, PATH.toml with extends, the sandbox state file, one-line errors."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from harness.target import TargetError, load_target

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = tomllib.loads((ROOT / "runbook.toml").read_text())


def test_production_target_has_the_seed_ids_and_secrets_only_from_env():
    target = load_target("production", RUNBOOK, ROOT, env={"RENDER_API_KEY": "rnd_canary_value"})
    assert target.render_api_service_id == "srv-d55qmb95pdvs73cagk60"
    assert target.vercel_alias == "digitalbrains.vercel.app"
    assert target.expected_migrations == ("phase7_feedback_learning_loop", "add_feedback_learning_job_type")
    assert target.secret("render_api_key") == "rnd_canary_value"
    assert target.render_keyvalue_id == "red-d621ercoud1c7397mstg"
    assert target.credential_label("render_api_key") == "RENDER_API_KEY"
    assert target.missing(["render_api_key", "vercel_token", "owner_email"]) == ["GONOGO_OWNER_EMAIL", "VERCEL_TOKEN"]
    assert "rnd_canary_value" not in repr(target)


def test_a_target_file_extends_production_and_overrides_what_differs(tmp_path):
    canary = tmp_path / "canary.toml"
    canary.write_text('extends = "production"\napi_url = "https://canary.example.com"\n'
                      'render_api_service_id = "srv-canary0000000000000"\n[secrets]\nrender_api_key = "CANARY_KEY"\n')
    target = load_target(str(canary), RUNBOOK, ROOT, env={"CANARY_KEY": "k-123456"})
    assert target.name == "canary"
    assert target.api_url == "https://canary.example.com"
    assert target.render_worker_service_id == "srv-d5ht2763jp1c73evn1dg"  # inherited
    assert target.secret("render_api_key") == "k-123456"
    assert target.secret_env["vercel_token"] == "VERCEL_TOKEN"


def test_sandbox_target_reads_the_status_file(tmp_path):
    status = {k: f"http://127.0.0.1:1/{k}" for k in ("api_url", "frontend_url", "render_api_url", "vercel_api_url",
                                                     "supabase_api_url", "pinecone_api_url")}
    status.update(render_owner_id="tea-x", render_api_service_id="srv-a", render_worker_service_id="srv-w",
                  vercel_project_id="prj_x", vercel_team_id="team_x", vercel_alias="a.test",
                  supabase_project_ref="abc", pinecone_index="idx", app_repo=str(tmp_path),
                  render_keyvalue_id="red-sandbox",
                  database_url="postgresql://postgres@127.0.0.1:5/twin", redis_url="redis://127.0.0.1:6/0",
                  owner_email="o@x.test", owner_password="pw-123456", share_url="http://127.0.0.1:2/share/tok",
                  secrets={"RENDER_API_KEY": "rnd_abc123"})
    state = tmp_path / "status.json"
    state.write_text(json.dumps(status))
    runbook = {"targets": {"sandbox": {**RUNBOOK["targets"]["sandbox"], "sandbox_state": str(state)}}}
    target = load_target("sandbox", runbook, ROOT, env={})
    assert target.render_api_service_id == "srv-a"
    assert target.secret("render_api_key") == "rnd_abc123"
    assert target.secret("supabase_db_url").startswith("postgresql://")
    assert target.soak_duration_s == 20.0
    assert target.render_keyvalue_id == "red-sandbox"
    assert target.learning_job_pickup_s == 10
    # A refusal names where the credential came from, never its value.
    assert target.credential_label("render_api_key") == f"secrets.RENDER_API_KEY of {state}"


@pytest.mark.parametrize(("spec", "body", "expected"), [
    ("nope", None, "--target 'nope' is not a target of runbook.toml"),
    ("missing.toml", None, "no such file"),
    ("bad.toml", "api_url = [", "not valid TOML"),
    ("typo.toml", 'extends = "production"\napi_ulr = "https://x"', "unknown target field 'api_ulr'"),
    ("base.toml", 'extends = "staging"', "extends = 'staging' is not a target"),
    ("url.toml", 'extends = "production"\napi_url = "ftp://x"', "api_url = 'ftp://x' is not an http(s) URL"),
    ("short.toml", 'api_url = "https://x"', "lacks"),
    ("pickup.toml", 'extends = "production"\nlearning_job_pickup_s = 0', "learning_job_pickup_s = 0 must be"),
    ("slow.toml", 'extends = "production"\nlearning_job_timeout_s = "1m"', "learning_job_timeout_s = '1m' must be"),
])
def test_bad_targets_fail_with_one_line_naming_the_problem(tmp_path, spec, body, expected):
    path = tmp_path / spec
    if body is not None:
        path.write_text(body)
    arg = spec if spec == "nope" else str(path)
    with pytest.raises(TargetError) as info:
        load_target(arg, RUNBOOK, ROOT, env={})
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_sandbox_down_says_how_to_start_it(tmp_path):
    runbook = {"targets": {"sandbox": {"sandbox_state": str(tmp_path / "status.json")}}}
    with pytest.raises(TargetError, match=r"the sandbox is not running .* `python -m sandbox up`"):
        load_target("sandbox", runbook, ROOT, env={})
