"""End to end in memory against a real sandbox (the worker's shared one): `run_stage("smoke")` is GO; a sandbox fault
(cors-wildcard) turns smoke and predeploy NO-GO and `explain` shows the failing test's message and evidence and
what rolls back; a held release is resumed to GO and another abandoned through the release CLI; no answer holds
any of the sandbox's secrets."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _session import Session
from mcp import Client

from gonogo_mcp import build_server
from release.journal import Journal, iso
from release.steps import STEPS

SANDBOX_TESTS = Path(__file__).resolve().parents[1] / "sandbox"
if str(SANDBOX_TESTS) not in sys.path:
    sys.path.insert(0, str(SANDBOX_TESTS))

from _stack import Stack, worker_stack  # noqa: E402

pytestmark = pytest.mark.anyio

stack = worker_stack()
# Every answer of every tool in this module, for the last test.
SEEN: list[str] = []
NOT_CODE_GATES = "not test_code_gates"  # gates/test_code_gates.py: the section 3 code gates
FOREIGN = "a foreign origin http://foreign-origin.invalid was allowed (Access-Control-Allow-Origin '*')"


@pytest.fixture(scope="module")
def target(stack: Stack) -> Path:
    """The target file a staging stack would use: the sandbox profile, this module's stack."""
    path = stack.state_dir / "rehearsal.toml"
    path.write_text(f'extends = "sandbox"\nsandbox_state = "{stack.state_dir / "status.json"}"\n')
    return path


@pytest.fixture(scope="module")
def where(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("mcp")
    return {"reports": base / "reports", "journal": base / "journal.sqlite"}


@pytest.fixture(scope="module")
def server(stack: Stack, where: dict[str, Path]):
    return build_server(reports=where["reports"], journal=str(where["journal"]))


@pytest.fixture
async def session(server):
    async with Client(server) as client:
        yield Session(client, SEEN)


async def test_smoke_on_the_sandbox_is_go(session: Session, target: Path) -> None:
    answer = await session.ok("run_stage", {"stage": "smoke", "target": str(target), "wait_s": 240})
    assert answer["state"] == "done", answer
    verdict = answer["verdict"]
    assert (verdict["verdict"], verdict["exit_code"], verdict["target"]) == ("GO", 0, "rehearsal"), verdict
    assert {c["id"]: c["status"] for c in verdict["criteria"]} == dict.fromkeys(
        ["render-live", "vercel-ready", "health-public", "api-basics", "cors-frontend"], "passed")
    assert verdict["rollback"]["headline"] == "rollback: GO: nothing to roll back"
    assert set(verdict["reports"]) == {"verdict_json", "summary_md", "report_html", "junit_xml", "output"}
    again = await session.ok("get_verdict", {"id": answer["run_id"]})
    assert again["verdict"]["verdict"] == "GO"
    # The same stage on production, without confirm: refused before anything runs.
    assert (await session.refused("run_stage", {"stage": "smoke", "target": "production"})).endswith(
        "a production target, and this changes it; nothing was done; pass confirm: true to go ahead")


async def test_a_sandbox_fault_is_explained(session: Session, stack: Stack, target: Path) -> None:
    stack.fault("cors-wildcard")
    try:
        smoke = await session.ok("run_stage", {"stage": "smoke", "target": str(target), "wait_s": 240})
        with pytest.MonkeyPatch.context() as env:
            # What this test reads of predeploy is its config gate (cors-origins): the code gates, which read only
            # the app checkout and cost most of the stage, are left out as the drills leave them out (they stay
            # `missing`; the failure makes the stage NO-GO all the same).
            env.setenv("PYTEST_ADDOPTS", f"-k {shlex.quote(NOT_CODE_GATES)}")
            predeploy = await session.ok("run_stage", {"stage": "predeploy", "target": str(target), "wait_s": 240})
    finally:
        stack.clear()
    assert smoke["verdict"]["verdict"] == "NO-GO" and smoke["exit_code"] == 1, smoke
    assert smoke["verdict"]["reasons"] == [f"cors-frontend failed: smoke/test_cors.py::test_foreign_origin_is_refused"
                                           f": {FOREIGN}"]
    explained = await session.ok("explain", {"criterion": "cors-frontend"})
    last = explained["last"]
    assert (last["status"], last["run_verdict"], last["source"]) == ("failed", "NO-GO", f"run {smoke['run_id']}")
    failing = [t for t in last["tests"] if t["outcome"] == "failed"]
    assert [t["nodeid"] for t in failing] == ["smoke/test_cors.py::test_foreign_origin_is_refused"]
    assert failing[0]["message"] == FOREIGN
    [preflight] = failing[0]["evidence"]
    assert (preflight["method"], preflight["headers"]["access-control-allow-origin"]) == ("OPTIONS", "*")
    api = stack.status["render_api_service_id"]
    assert explained["rollback"]["target"] == "rehearsal"
    assert explained["rollback"]["actions"][0]["name"] == f"render: roll back the API {api} to its previous live deploy"
    planned = await session.ok("plan_rollback", {"id": smoke["run_id"]})
    assert planned["rollback"]["chosen_by"] == [{"criterion": "cors-frontend", "status": "failed",
                                                 "scopes": ["backend"]}]
    assert {a["status"] for a in planned["rollback"]["actions"]} == {"planned"}
    # The same fault seen by the config gates before a deploy: cors-origins.
    assert predeploy["verdict"]["verdict"] == "NO-GO", predeploy
    origins = await session.ok("explain", {"criterion": "cors-origins"})
    assert origins["last"]["status"] == "failed"
    [failed] = [t for t in origins["last"]["tests"] if t["outcome"] == "failed"]
    assert "ALLOWED_ORIGINS" in failed["message"] and failed["evidence"], failed
    assert origins["rollback"]["when"] == ("its failure makes the verdict NO-GO; a predeploy run never rolls back "
                                           "(nothing is deployed yet)")


def _held_release(journal_path: Path, stack: Stack, target: Path, reports: Path, suffix: str) -> str:
    """A release of the live commit held at its soak (every step before it done), as the conductor leaves one."""
    sha = stack.status["release_sha"]
    release_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{sha[:7]}{suffix}"
    journal = Journal.open(str(journal_path))
    try:
        journal.create_release(id=release_id, target=target.stem, target_spec=str(target), sha=sha, tag=None,
                               strategy="api", rollback="plan", release_dir=str(reports / "releases" / release_id),
                               options={"soak_duration": 2.0, "app_repo": stack.status["app_repo"], "pytest_args": []},
                               started_at=iso())
        for seq, spec in enumerate(STEPS, 1):
            step = journal.start_step(release_id, seq, spec.name)
            if spec.name == "soak":
                journal.end_step(step, "held", "INCONCLUSIVE", "the Render API timed out; resume re-runs the soak")
            else:
                journal.end_step(step, "done", "GO" if spec.stage else "done", "rehearsed")
        journal.update_release(release_id, state="held", verdict="INCONCLUSIVE", exit_code=7, reason="soak: held")
    finally:
        journal.close()
    return release_id


async def test_a_held_release_is_resumed_and_another_abandoned(session: Session, stack: Stack, target: Path,
                                                               where: dict[str, Path]) -> None:
    resumed = _held_release(where["journal"], stack, target, where["reports"], "")
    answer = await session.ok("release_resume", {"target": str(target), "wait_s": 240})
    assert (answer["release_id"], answer["state"], answer["exit_code"], answer["outcome"]) == (
        resumed, "done", 0, "GO"), answer
    assert answer["status"][0] == f"release {resumed} on rehearsal: GO (state ended, exit 0)"
    verdicts = await session.ok("get_verdict", {"id": resumed})
    assert [(s["stage"], s["attempt"], s["verdict"]) for s in verdicts["stages"]] == [("soak", 2, "GO")]
    history = await session.ok("release_history", {"target": str(target)})
    assert [r["verdict"] for r in history["releases"]] == ["GO"]

    abandoned = _held_release(where["journal"], stack, target, where["reports"], "x")
    assert "pass confirm: true" in await session.refused("release_abandon", {"target": str(target)})
    answer = await session.ok("release_abandon", {"target": str(target), "confirm": True})
    assert answer["result"].startswith(f"ABANDONED: release {abandoned} on rehearsal at soak; page "), answer
    status = await session.ok("release_status", {"target": str(target)})
    assert status["release"]["verdict"] == "ABANDONED"


async def test_no_answer_holds_a_sandbox_secret(session: Session, stack: Stack, where: dict[str, Path]) -> None:
    # A verdict file that kept a token (as a hand-written report might): the answer masks it all the same.
    token = stack.status["secrets"]["RENDER_API_KEY"]
    leaky = where["reports"] / "leaky.json"
    runs = [json.loads(p.read_text()) for p in (where["reports"] / "mcp").glob("*-smoke/verdict.json")]
    data = next(d for d in runs if d["verdict"] == "NO-GO")
    data["reason_details"][0]["message"] += f" (debug: Render said 401 to {token})"
    leaky.write_text(json.dumps(data))
    answer = await session.ok("get_verdict", {"id": str(leaky)})
    assert answer["reasons"][0].endswith(f"{FOREIGN} (debug: Render said 401 to ***)")
    status = stack.status
    secrets = {**{f"secrets.{k}": v for k, v in status["secrets"].items()}, "owner_password": status["owner_password"],
               "share_token": status["share_token"]}
    assert len(SEEN) > 20
    leaks = sorted({name for text in SEEN for name, value in secrets.items() if value and value in text})
    assert leaks == []
