"""The MCP server in memory, on verdicts and a journal written here (no sandbox): the tool list, every criterion of
runbook.toml, verdicts by id, explain, the rollback, the release journal, the confirm rule, bad input, and no
secret in any answer (a production token planted in the environment, a sandbox's tokens in its state file)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from _session import REPO_ROOT, Session
from mcp import Client

from gonogo.rollback import ActionOutcome, ActionStatus, RollbackMode, RollbackResult
from gonogo.runbook import load_runbook
from gonogo.verdict import Status, fold
from gonogo.verdict import TestRecord as Record
from gonogo_mcp import build_server
from gonogo_mcp.__main__ import main
from release.journal import Journal, iso

pytestmark = pytest.mark.anyio

PLANTED = "rnd_planted-0123456789abcdef"  # RENDER_API_KEY of production, as the operator exports it
SANDBOX_TOKEN = "vcl-fake-sandbox-token-0002"
TOOLS = {"list_criteria", "run_stage", "get_verdict", "explain", "plan_rollback", "release_status",
         "release_history", "release_resume", "release_abandon"}
RELEASE_ID = "20261128-101500-a1b2c3d"


def smoke_verdict(target: str) -> dict:
    """A smoke verdict as gonogo writes it: health-public failed with a message and evidence holding the token
    (as if an output had missed it), the backend rollback planned."""
    runbook = load_runbook(REPO_ROOT / "runbook.toml")
    records = [Record(f"smoke/test_{c.id}.py::test_it", c.id, Status.PASSED, 0.1)
               for c in runbook.criteria.values() if c.stage == "smoke" and c.id != "health-public"]
    records.append(Record(
        "smoke/test_health.py::test_health_endpoint_reports_healthy", "health-public", Status.FAILED, 0.2,
        f"GET /health answered 503 (called with {PLANTED})",
        ({"kind": "http", "title": "GET https://verified-digital-twin-brains.onrender.com/health", "status": 503,
          "headers": {"x-debug-token": PLANTED}, "body": '{"status":"unhealthy","checks":{"redis":"down"}}'},)))
    verdict = fold(runbook.criteria.values(), records, selected_stages=["smoke"], target=target,
                   started_at="2026-11-28T10:15:00Z", finished_at="2026-11-28T10:15:09Z")
    rollback = RollbackResult(RollbackMode.PLAN, True, ("backend",), (
        ActionOutcome("render: roll back the API srv-d55qmb95pdvs73cagk60 to its previous live deploy",
                      ActionStatus.PLANNED, "POST /services/{id}/rollback"),))
    return verdict.to_json(rollback.to_json())


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setenv("RENDER_API_KEY", PLANTED)
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "verdict.json").write_text(json.dumps(smoke_verdict("production")))
    status = {"api_url": "http://127.0.0.1:9", "frontend_url": "http://127.0.0.1:9",
              "render_api_url": "http://127.0.0.1:9/v1", "vercel_api_url": "http://127.0.0.1:9",
              "supabase_api_url": "http://127.0.0.1:9", "pinecone_api_url": "http://127.0.0.1:9",
              "render_owner_id": "tea-x", "render_api_service_id": "srv-a", "render_worker_service_id": "srv-w",
              "vercel_team_id": "team_x", "vercel_project_id": "prj_x", "vercel_alias": "x.test",
              "supabase_project_ref": "ref", "pinecone_index": "idx",
              "secrets": {"RENDER_API_KEY": "rnd-fake-sandbox-0001", "VERCEL_TOKEN": SANDBOX_TOKEN}}
    (tmp_path / "status.json").write_text(json.dumps(status))
    (tmp_path / "rehearsal.toml").write_text(f'extends = "sandbox"\nsandbox_state = "{tmp_path / "status.json"}"\n')
    return {"reports": reports, "journal": tmp_path / "journal.sqlite", "fake": tmp_path / "rehearsal.toml"}


@pytest.fixture
def seen() -> list[str]:
    return []


@pytest.fixture
async def session(paths: dict[str, Path], seen: list[str]):
    server = build_server(reports=paths["reports"], journal=str(paths["journal"]))
    async with Client(server) as client:
        yield Session(client, seen)
    leaks = [t for t in seen if PLANTED in t or SANDBOX_TOKEN in t]
    assert leaks == [], "a secret in a tool's answer"


async def test_the_tools_are_listed_with_their_arguments(session: Session) -> None:
    tools = {t.name: t for t in (await session.client.list_tools()).tools}
    assert set(tools) == TOOLS
    assert all(t.description and t.output_schema for t in tools.values())
    run = tools["run_stage"].input_schema
    assert run["required"] == ["stage", "target"]
    assert run["properties"]["confirm"]["default"] is False
    reads = {n for n, t in tools.items() if t.annotations and t.annotations.read_only_hint}
    assert reads == {"list_criteria", "get_verdict", "explain", "plan_rollback", "release_status", "release_history"}


async def test_list_criteria_is_every_criterion_of_runbook_toml(session: Session) -> None:
    declared = tomllib.loads((REPO_ROOT / "runbook.toml").read_text())["criteria"]
    answer = await session.ok("list_criteria")
    assert answer["count"] == len(declared) == 28
    assert [(c["id"], c["title"], c["stage"], c["go_no_go"], c["blocking"]) for c in answer["criteria"]] == [
        (cid, body["title"], body["stage"], body.get("go_no_go"), body.get("blocking", True))
        for cid, body in declared.items()]
    assert sorted(c["go_no_go"] for c in answer["criteria"] if c["go_no_go"]) == [1, 2, 3, 4, 5, 6]
    smoke = await session.ok("list_criteria", {"stage": "smoke"})
    assert [c["id"] for c in smoke["criteria"]] == ["render-live", "vercel-ready", "health-public", "api-basics",
                                                    "cors-frontend"]
    assert await session.refused("list_criteria", {"stage": "deploy"}) == (
        "stage 'deploy' is not a stage of the runbook; use one of predeploy, smoke, postdeploy, soak")


async def test_the_latest_verdict_is_summarised_and_masked(session: Session) -> None:
    answer = await session.ok("get_verdict")
    assert answer["source"] == "reports/verdict.json"
    assert (answer["verdict"], answer["exit_code"], answer["stages"]) == ("NO-GO", 1, ["smoke"])
    assert answer["reasons"] == ["health-public failed: smoke/test_health.py::test_health_endpoint_reports_healthy: "
                                 "GET /health answered 503 (called with ***)"]
    rows = {c["id"]: c for c in answer["criteria"]}
    assert rows["health-public"] == {"id": "health-public", "title": "GET /health healthy from the public network "
                                     "[8.3]", "stage": "smoke", "go_no_go": 3, "blocking": True, "status": "failed",
                                     "tests": "1 failed", "time": "0.20 s"}
    assert answer["rollback"]["headline"] == "rollback (plan): scopes backend, 1 action(s)"
    by_path = await session.ok("get_verdict", {"id": answer["reports"]["verdict_json"]})
    assert by_path["reasons"] == answer["reasons"]


async def test_explain_gives_the_failing_test_its_evidence_and_what_rolls_back(session: Session) -> None:
    answer = await session.ok("explain", {"criterion": "health-public"})
    assert answer["criterion"] == {"id": "health-public", "title": "GET /health healthy from the public network [8.3]",
                                   "stage": "smoke", "go_no_go": 3, "blocking": True, "abort": False,
                                   "rollback": ["backend"]}
    last = answer["last"]
    assert (last["status"], last["run_verdict"], last["target"], last["source"]) == (
        "failed", "NO-GO", "production", "reports/verdict.json")
    [test] = last["tests"]
    assert test["message"] == "GET /health answered 503 (called with ***)"
    assert test["evidence"][0]["status"] == 503 and test["evidence"][0]["headers"] == {"x-debug-token": "***"}
    rollback = answer["rollback"]
    assert rollback["target"] == "production" and rollback["scopes"] == ["backend"]
    assert [a["name"] for a in rollback["actions"]] == [
        "render: roll back the API srv-d55qmb95pdvs73cagk60 to its previous live deploy",
        "render: roll back the worker srv-d5ht2763jp1c73evn1dg to its previous live deploy",
        "api: /health healthy again"]
    assert rollback["when"].startswith("when it fails or errors, the verdict is NO-GO")


async def test_explain_a_criterion_never_judged_and_a_wrong_id(session: Session, paths: dict[str, Path]) -> None:
    answer = await session.ok("explain", {"criterion": "owner-flow"})
    assert answer["last"]["status"] == "never judged"
    assert answer["rollback"]["actions"][0]["name"].startswith("vercel: roll back prj_tye8zjjKLvhdjH2pyBXno8JaylYk")
    # The actions of another target, when asked: its own service ids.
    rehearsal = await session.ok("explain", {"criterion": "health-public", "target": str(paths["fake"])})
    assert rehearsal["rollback"]["target"] == "rehearsal"
    assert rehearsal["rollback"]["actions"][0]["name"] == "render: roll back the API srv-a to its previous live deploy"
    missing = paths["fake"].with_name("gone.toml")
    assert await session.refused("explain", {"criterion": "health-public", "target": str(missing)}) == (
        f"target {missing}: no such file; give a target name (production, sandbox) or an existing .toml")
    advisory = await session.ok("explain", {"criterion": "resource-headroom"})
    assert advisory["rollback"] == {"scopes": [], "when": "advisory: it never blocks, so its failure never rolls "
                                    "anything back", "target": "production", "actions": []}
    assert await session.refused("explain", {"criterion": "health"}) == (
        "criterion 'health' is not in runbook.toml; did you mean health-public? list_criteria lists all 28")


async def test_plan_rollback_says_what_was_planned_and_why(session: Session) -> None:
    answer = await session.ok("plan_rollback")
    rollback = answer["rollback"]
    assert (rollback["mode"], rollback["triggered"], rollback["scopes"]) == ("plan", True, ["backend"])
    assert rollback["chosen_by"] == [{"criterion": "health-public", "status": "failed", "scopes": ["backend"]}]
    assert rollback["actions"][0]["status"] == "planned"


async def test_a_production_target_is_refused_without_confirm(session: Session, paths: dict[str, Path]) -> None:
    refused = await session.refused("run_stage", {"stage": "smoke", "target": "production"})
    assert refused == ("run_stage on target production: a production target, and this changes it; nothing was "
                       "done; pass confirm: true to go ahead")
    assert not (paths["reports"] / "mcp").exists()
    for tool in ("release_resume", "release_abandon"):
        assert "pass confirm: true" in await session.refused(tool, {"target": "production"})
    # Abandoning cannot be undone: asked on every target; a rehearsal's resume is not.
    abandon = await session.refused("release_abandon", {"target": str(paths["fake"])})
    assert abandon == ("release_abandon on target rehearsal: it ends the release for good (release_resume can no "
                       "longer continue it); pass confirm: true to go ahead")
    resume = await session.refused("release_resume", {"target": str(paths["fake"]), "confirm": False})
    assert resume == (f"target rehearsal: no release in progress in the journal {paths['journal']}; "
                      "release_history lists its releases")


async def test_bad_input_is_one_line_naming_the_argument(session: Session) -> None:
    assert await session.refused("run_stage", {"stage": "deploy", "target": "sandbox"}) == (
        "stage 'deploy' is not a stage of the runbook; use one of predeploy, smoke, postdeploy, soak")
    assert await session.refused("run_stage", {"stage": "smoke", "target": "staging"}) == (
        "target 'staging' is not a target of runbook.toml; use one of production, sandbox or a PATH.toml")
    assert (await session.refused("get_verdict", {"id": "20261128-nope"})).startswith(
        "id '20261128-nope' is not a run under ")
    assert await session.refused("release_history", {"limit": 0}) == "limit 0 must be 1 or more"
    refused = await session.refused("release_status", {"journal": "postgresql://ops:pw-0123456789@127.0.0.1:1/j"})
    assert refused.startswith("journal postgresql://ops:***@127.0.0.1:1/j: PostgreSQL does not answer")
    assert "pw-0123456789" not in refused


async def test_the_release_journal_status_history_and_verdicts(session: Session, paths: dict[str, Path]) -> None:
    journal = Journal.open(str(paths["journal"]))
    release_dir = paths["reports"] / "releases" / RELEASE_ID
    (release_dir / "smoke").mkdir(parents=True)
    (release_dir / "smoke" / "verdict.json").write_text(json.dumps(smoke_verdict("production")))
    rolled = RollbackResult(RollbackMode.PLAN, True, ("backend",)).to_json()
    try:
        journal.create_release(id=RELEASE_ID, target="production", target_spec="production", sha="a1b2c3d" * 5,
                               tag="release-20261128-1015", strategy="git", rollback="plan",
                               options={"soak_duration": 1800.0}, release_dir=str(release_dir), started_at=iso())
        step = journal.start_step(RELEASE_ID, 7, "smoke")
        journal.end_step(step, "failed", "NO-GO", f"NO-GO; health-public failed ({PLANTED})",
                         evidence={"verdict_json": str(release_dir / "smoke" / "verdict.json")})
        journal.update_release(RELEASE_ID, state="ended", verdict="NO-GO", exit_code=1, ended_at=iso(),
                               reason="smoke: NO-GO", rolled_back=rolled, current_step=None)
    finally:
        journal.close()
    status = await session.ok("release_status", {"target": "production"})
    assert status["summary"][0] == f"release {RELEASE_ID} on production: NO-GO (state ended, exit 1)"
    assert any("NO-GO; health-public failed (***)" in line for line in status["summary"])
    history = await session.ok("release_history", {"target": "production"})
    assert [(r["id"], r["verdict"], r["rolled_back"]) for r in history["releases"]] == [(RELEASE_ID, "NO-GO",
                                                                                         "planned")]
    verdict = await session.ok("get_verdict", {"id": RELEASE_ID})
    assert (verdict["release"]["verdict"], [s["stage"] for s in verdict["stages"]]) == ("NO-GO", ["smoke"])
    assert verdict["stages"][0]["verdict"] == "NO-GO"
    planned = await session.ok("plan_rollback", {"id": RELEASE_ID})
    assert planned["rolled_back"]["scopes"] == ["backend"]
    assert planned["stages"][0]["rollback"]["chosen_by"][0]["criterion"] == "health-public"
    # The newest verdict holding health-public is now the release's stage.
    explained = await session.ok("explain", {"criterion": "health-public"})
    assert explained["last"]["source"] == f"release {RELEASE_ID} stage smoke"
    assert (await session.ok("release_history", {"target": str(paths["fake"])}))["releases"] == []


def test_the_command_line_refuses_a_directory_that_is_no_checkout(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:
    assert main(["--root", str(tmp_path)]) == 4
    out, err = capsys.readouterr()
    assert out == ""  # stdout is the protocol
    assert err == f"gonogo_mcp: --root {tmp_path}: no runbook.toml there; give a checkout of pytest-gonogo\n"
