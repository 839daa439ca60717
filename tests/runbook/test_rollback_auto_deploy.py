"""The backend rollback keeps a service rolled back: auto-deploy off (verified), said how to turn it on, never twice.

Against a small stateful fake of Render's API (docs/providers.md#render-rollback, #render-service-update),
so each PATCH can be counted; tests/runbook/test_rollback_actions.py runs the same actions on a sandbox.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import httpx
import pytest

from gonogo_providers.render import RenderClient
from harness import rollback
from harness.target import load_target

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = tomllib.loads((ROOT / "runbook.toml").read_text())
SID = "srv-d55qmb95pdvs73cagk60"


class FakeRender:
    """One service: deploys newest first, auto-deploy in whichever field it shows; PATCHes are counted."""

    def __init__(self, auto: dict, *, ignore_patch: bool = False) -> None:
        self.auto = dict(auto)
        self.ignore_patch = ignore_patch
        self.patches: list[dict] = []
        self.rollbacks = 0
        self.deploys = [self._deploy(2, "live", "new_commit"), self._deploy(1, "deactivated", "new_commit")]

    @staticmethod
    def _deploy(n: int, status: str, trigger: str, commit: int | None = None) -> dict:
        stamp = f"2026-11-{n:02d}T10:00:00Z"
        return {"id": f"dep-{n:020d}", "status": status, "trigger": trigger, "createdAt": stamp,
                "finishedAt": stamp, "commit": {"id": f"{commit or n:040x}", "message": f"release {commit or n}"}}

    def service(self) -> dict:
        return {"id": SID, "name": "verified-digital-twin-brains", "type": "web_service", "ownerId": "tea-1",
                "suspended": "not_suspended", "serviceDetails": {"runtime": "python"}, **self.auto}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1")
        if path == f"/services/{SID}/deploys":
            wanted = request.url.params.get_list("status")
            found = [d for d in self.deploys if not wanted or d["status"] in wanted]
            return httpx.Response(200, json=[{"deploy": d, "cursor": d["id"]} for d in found])
        if path == f"/services/{SID}" and request.method == "GET":
            return httpx.Response(200, json=self.service())
        if path == f"/services/{SID}" and request.method == "PATCH":
            body = json.loads(request.read())
            self.patches.append(body)
            if not self.ignore_patch:
                self.auto.update(body)
            return httpx.Response(200, json=self.service())
        if path == f"/services/{SID}/rollback":
            target = next(d for d in self.deploys if d["id"] == json.loads(request.read())["deployId"])
            self.rollbacks += 1
            for d in self.deploys:
                d["status"] = "deactivated" if d["status"] == "live" else d["status"]
            new = self._deploy(3 + self.rollbacks, "live", "rollback", commit=int(target["commit"]["id"], 16))
            self.deploys.insert(0, new)
            return httpx.Response(201, json=new)
        return httpx.Response(404, json={"id": "not_found", "message": path})


@pytest.fixture
def target():
    return load_target("production", RUNBOOK, ROOT, env={"RENDER_API_KEY": "rnd_test_key_0001"})


def _use(monkeypatch, fake: FakeRender) -> None:
    monkeypatch.setattr(rollback, "render_client", lambda target: RenderClient(
        api_key="rnd_test_key_0001", transport=httpx.MockTransport(fake), sleep=lambda s: None))


def _run(target, fake: FakeRender, judged: dict | None = None) -> str:
    judged = judged or {"id": fake.deploys[0]["id"], "status": "live", "commit": fake.deploys[0]["commit"]["id"]}
    return rollback._render_rollback(target, "API", SID, judged, None)


@pytest.mark.parametrize(("shown", "written", "back_on"), [
    ({"autoDeploy": "yes"}, {"autoDeploy": "no"}, "autoDeploy=yes"),
    ({"autoDeploy": "yes", "autoDeployTrigger": "commit"}, {"autoDeployTrigger": "off"}, "autoDeployTrigger=commit"),
], ids=["autoDeploy", "autoDeployTrigger"])
def test_a_rolled_back_service_gets_auto_deploy_off_verified_and_says_how_to_undo_it(monkeypatch, target, shown,
                                                                                      written, back_on):
    fake = FakeRender(shown)
    _use(monkeypatch, fake)
    detail = _run(target, fake)
    assert fake.rollbacks == 1 and fake.patches == [written]
    field, value = next(iter(written.items()))
    assert f"auto-deploy off on the API ({field}={value}, verified)" in detail
    assert detail.endswith(f"turn it back on once a fixed release is ready: PATCH /services/{SID} {back_on}, "
                           "or the dashboard's Auto-Deploy setting")
    assert detail.startswith(f"rolled back {'dep-' + f'{2:020d}'} -> {'dep-' + f'{1:020d}'}")


def test_auto_deploy_already_off_is_not_written_again(monkeypatch, target):
    fake = FakeRender({"autoDeploy": "no"})
    _use(monkeypatch, fake)
    detail = _run(target, fake)
    assert fake.rollbacks == 1 and fake.patches == []
    assert "auto-deploy already off on the API (autoDeploy), left as it is" in detail


def test_a_rerun_after_the_rollback_neither_rolls_back_nor_writes_again(monkeypatch, target):
    fake = FakeRender({"autoDeploy": "yes"})
    _use(monkeypatch, fake)
    judged = {"id": fake.deploys[0]["id"], "status": "live", "commit": fake.deploys[0]["commit"]["id"]}
    _run(target, fake, judged)
    again = _run(target, fake, judged)
    assert fake.rollbacks == 1 and len(fake.patches) == 1
    assert again.startswith("nothing rolled back: the newest API deploy is now ")
    assert "a rollback; auto-deploy already off" in again


def test_a_rerun_after_a_crash_before_the_patch_finishes_that_step(monkeypatch, target):
    # The rollback happened (by an earlier run that stopped, or an operator) but auto-deploy is still on.
    fake = FakeRender({"autoDeploy": "yes"})
    judged = {"id": fake.deploys[0]["id"], "status": "live", "commit": fake.deploys[0]["commit"]["id"]}
    fake.deploys[0]["status"] = "deactivated"
    fake.deploys.insert(0, FakeRender._deploy(3, "live", "rollback", commit=1))
    _use(monkeypatch, fake)
    detail = _run(target, fake, judged)
    assert fake.rollbacks == 0 and fake.patches == [{"autoDeploy": "no"}]
    assert "auto-deploy off on the API (autoDeploy=no, verified)" in detail


def test_a_patch_that_does_not_take_still_rolls_back_then_fails_the_action(monkeypatch, target):
    fake = FakeRender({"autoDeploy": "yes"}, ignore_patch=True)
    _use(monkeypatch, fake)
    with pytest.raises(RuntimeError, match=r"^rolled back .* is live, but auto-deploy could not be turned off: "
                                           r"auto-deploy is still on for the API .* after PATCH autoDeploy=no .*"
                                           r"turn it off in the dashboard"):
        _run(target, fake)
    assert fake.rollbacks == 1  # the bad release stops serving all the same


def test_the_planned_action_says_auto_deploy_goes_off_and_how_to_turn_it_on(target):
    api, worker, _ = rollback.actions(target, ("backend",), {})
    for action, sid in ((api, target.render_api_service_id), (worker, target.render_worker_service_id)):
        assert "auto-deploy off (PATCH autoDeploy=no, verified)" in action.detail
        assert f"PATCH /services/{sid} autoDeploy=yes" in action.detail
