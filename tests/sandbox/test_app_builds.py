"""Each API/worker build flag (and DEV_MODE) observed directly on real processes."""

from __future__ import annotations

import json
import sys
import time

import httpx
import pytest
from conftest import REPO_ROOT, launch_stack
from test_app_repo import RUNNER_ARGS, copy_app_repo, run_in, runner_env

from sandbox.wait import wait_for

BUILD = "bad-health,share-writes-training,persona-regression-drop,p0-in-logs,worker-stalled"


@pytest.fixture(scope="module")
def stack(twin_db, redis_server, tmp_path_factory):
    # The flags touch separate code paths, so one process carrying all of them shows each one.
    running = launch_stack(twin_db, redis_server.url, tmp_path_factory.mktemp("builds"), build=BUILD,
                           DEV_MODE="true")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(stack):
    with httpx.Client(base_url=stack.api_url, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def headers(stack, client):
    token = client.post("/auth/login", json={"email": stack.owner_email, "password": stack.owner_password})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_bad_health_answers_503_while_the_rest_works(client, headers):
    resp = client.get("/health")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unhealthy" and body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
    assert "bad-health" in body["build"]
    assert client.get("/twins", headers=headers).status_code == 200


def test_share_writes_training_inserts_a_share_row(stack, client, headers):
    twin = stack.seeded["twin_id"]
    client.post(f"/public/share/{stack.seeded['share_token']}/chat", json={"message": "visitor text 42"})
    rows = client.get(f"/twins/{twin}/training", headers=headers).json()
    assert {"source": "share", "content": "visitor text 42"}.items() <= rows[-1].items()


def test_worker_stalled_leaves_the_job_processing(stack, client, headers):
    twin = stack.seeded["twin_id"]
    job = [client.post("/feedback", headers=headers, json={"twin_id": twin, "message_id": "m", "rating": -1})
           .json()["job_id"] for _ in range(5)][-1]
    assert job
    status = wait_for(lambda: client.get(f"/feedback/jobs/{job}", headers=headers).json()["status"],
                      lambda s: s != "queued", timeout=10, interval=0.05)
    assert status == "processing"
    time.sleep(1.5)
    assert client.get(f"/feedback/jobs/{job}", headers=headers).json()["status"] == "processing"
    assert "never finishes it" in stack.log("worker")


def test_p0_in_logs_writes_critical_lines_repeatedly(stack):
    critical = wait_for(lambda: [e for e in map(json.loads, stack.log("api").splitlines()) if e["level"] == "critical"],
                        lambda lines: len(lines) >= 2, timeout=8, interval=0.2)
    assert len(critical) >= 2 and all("P0" in e["message"] for e in critical)


def test_dev_mode_accepts_requests_without_a_token(client):
    assert client.get("/twins").status_code == 200


def test_persona_regression_drop_fails_the_runner(stack, tmp_path):
    repo = copy_app_repo(tmp_path)
    out = tmp_path / "persona.json"
    proc = run_in(repo, [sys.executable, "backend/eval/persona_regression_runner.py", *RUNNER_ARGS,
                         "--output", str(out)], env=runner_env(stack))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["passed"] is False
    assert report["adversarial_pass_rate"] < 0.95 and report["channel_isolation_pass_rate"] < 1.0
    assert report["pass_rate"] < 0.95
    assert any("leaked" in c["reason"] for c in report["cases"])


def test_persona_regression_slight_fails_one_case_of_twenty_and_still_meets_the_gate(monkeypatch):
    # The regression dataset judged on the twin's answers directly (no process): what the runner would see.
    import importlib.util

    from sandbox.app.db import DEMO_PERSONA, DEMO_PRIVATE_NOTE
    from sandbox.app.persona import Channel, Persona, answer

    runner_path = REPO_ROOT / "sandbox" / "app_repo" / "backend" / "eval" / "persona_regression_runner.py"
    spec = importlib.util.spec_from_file_location("persona_runner", runner_path)
    runner = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, runner)  # its dataclasses look their module up
    spec.loader.exec_module(runner)
    cases = json.loads((runner_path.parent / "persona_regression_dataset.json").read_text())["cases"]
    persona = Persona("Ada", DEMO_PERSONA, (DEMO_PRIVATE_NOTE,))

    def results(terse: bool):
        return [runner.CaseResult(c["id"], c["kind"], c["channel"],
                                  *runner.judge(c, answer(persona, c["message"], Channel(c["channel"]), terse=terse),
                                                [DEMO_PRIVATE_NOTE]), "") for c in cases]

    healthy, slight = results(False), results(True)
    assert [r.id for r in healthy if not r.passed] == []
    assert [r.id for r in slight if not r.passed] == ["normal-generic"]
    assert runner.rate(slight) == 0.95 >= 0.95  # runbook.toml persona_min_pass_rate: the gate still passes
    assert runner.rate(slight, "adversarial") == runner.rate(slight, "channel_isolation") == 1.0
