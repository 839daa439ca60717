"""The CLI's lifecycle on one real stack: status, up twice, usage errors, down after a crashed daemon."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

from _stack import module_stack, newest_deploy, run_cli, wait_until

from sandbox.faults import FAULTS

stack = module_stack()

STATUS_KEYS = {"api_url", "frontend_url", "render_api_url", "vercel_api_url", "supabase_api_url",
               "pinecone_api_url", "database_url", "redis_url", "render_api_service_id",
               "render_worker_service_id", "render_owner_id", "render_keyvalue_id", "vercel_project_id",
               "vercel_team_id", "vercel_alias", "supabase_project_ref", "pinecone_index", "app_repo", "owner_email",
               "owner_password", "share_url", "secrets", "pids", "state_dir"}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As a server binds: TIME_WAIT leftovers of closed connections do not count, a listener does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def test_status_json_has_the_contract_fields(stack):
    res = stack.cli("status", "--json")
    assert res.returncode == 0, res.stderr
    status = json.loads(res.stdout)
    assert STATUS_KEYS <= set(status)
    assert set(status["pids"]) == {"controlplane", "api", "worker", "frontend", "postgres", "redis"}
    assert set(status["secrets"]) == {"RENDER_API_KEY", "VERCEL_TOKEN", "SUPABASE_ACCESS_TOKEN", "PINECONE_API_KEY"}
    assert status["share_url"].startswith(status["frontend_url"] + "/share/")


def test_app_checkout_is_a_git_repo_whose_tagged_head_is_the_live_release(stack):
    repo, release = stack.status["app_repo"], stack.status["release_sha"]
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True).stdout.strip()

    assert git("rev-parse", "HEAD") == release
    assert re.fullmatch(r"release-\d{8}-\d{4}", git("tag", "--points-at", "HEAD"))
    assert (Path(repo) / "backend" / "eval" / "persona_regression_runner.py").is_file()
    with stack.render() as r:
        for sid in (stack.status["render_api_service_id"], stack.status["render_worker_service_id"]):
            assert newest_deploy(r, sid)["commit"]["id"] == release
        deactivated = r.get(f"/services/{sid}/deploys", params={"status": "deactivated"}).json()
        assert deactivated[0]["deploy"]["commit"]["id"] == stack.status["previous_sha"] == git("rev-parse", "HEAD~1")


def test_human_status_never_prints_a_secret(stack):
    res = stack.cli("status")
    assert res.returncode == 0
    for secret in [*stack.status["secrets"].values(), stack.status["owner_password"]]:
        assert secret not in res.stdout + res.stderr


def test_up_twice_is_an_error_saying_how_to_stop(stack):
    res = stack.cli("up")
    assert res.returncode == 1
    assert "already up" in res.stderr and "python -m sandbox down" in res.stderr
    assert json.loads(stack.cli("status", "--json").stdout)["up"] is True, "the running stack is untouched"


def test_unknown_fault_is_a_one_line_usage_error(stack):
    res = stack.cli("fault", "no-such-fault")
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "cors-wildcard" in res.stderr
    listing = stack.cli("faults")
    assert listing.returncode == 0 and len(listing.stdout.strip().splitlines()) == len(FAULTS)


def test_a_crashed_process_is_restarted_from_its_live_deploy(stack):
    old = _recorded(stack, "api")
    os.killpg(old, signal.SIGKILL)
    new = wait_until(lambda: (lambda p: p if p not in (None, old) else None)(_recorded(stack, "api")),
                     what="api restarted by the daemon")
    assert _alive(new)
    with stack.api() as api:
        assert wait_until(lambda: _answers(api), what="restarted api answers") == 200


def _recorded(stack, name: str) -> int | None:
    try:  # the daemon replaces the file on a restart
        return int((stack.state_dir / "pids" / f"{name}.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _answers(api) -> int | None:
    try:
        return api.get("/health").status_code
    except Exception:  # noqa: BLE001 - connection refused while it starts
        return None


def test_down_after_the_daemon_was_killed_leaves_nothing(stack):
    status = json.loads(stack.cli("status", "--json").stdout)
    pids = status["pids"]
    os.kill(pids["controlplane"], signal.SIGKILL)
    wait_until(lambda: not _alive(pids["controlplane"]), what="daemon gone")
    assert _alive(pids["api"]), "the app outlives its supervisor (own session), so down must find it"
    res = stack.cli("down")
    assert res.returncode == 0, res.stderr
    for name, pid in pids.items():
        assert not _alive(pid), f"{name} (pid {pid}) still runs after down"
    ports = [int(status[k].rsplit(":", 1)[1].split("/")[0]) for k in (
        "api_url", "frontend_url", "render_api_url", "vercel_api_url", "supabase_api_url", "pinecone_api_url")]
    ports += [int(status["redis_url"].rsplit(":", 1)[1].split("/")[0]),
              int(status["database_url"].rsplit(":", 1)[1].split("/")[0])]
    assert [p for p in ports if not _port_free(p)] == []
    assert not (stack.state_dir / "status.json").exists() and not list((stack.state_dir).glob("pids/*"))


def test_down_when_down_is_a_noop_and_status_says_down(stack):
    res = stack.cli("down")
    assert res.returncode == 0 and "not up" in res.stdout
    status = stack.cli("status", "--json")
    assert status.returncode == 1 and json.loads(status.stdout)["up"] is False
    assert stack.cli("fault", "cors-wildcard").returncode == 1


def test_up_again_in_the_same_state_dir_after_down(stack):
    res = run_cli(stack.state_dir, "up")
    try:
        assert res.returncode == 0, res.stderr
        assert "sandbox up in" in res.stdout
        fresh = json.loads((stack.state_dir / "status.json").read_text())
        assert fresh["secrets"]["RENDER_API_KEY"] != stack.status["secrets"]["RENDER_API_KEY"], "fresh at each up"
    finally:
        assert run_cli(stack.state_dir, "down").returncode == 0


def test_up_with_a_file_as_state_dir_is_a_one_line_error(tmp_path):
    bogus = tmp_path / "not-a-dir"
    bogus.write_text("")
    res = run_cli(bogus, "up")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "--state-dir" in res.stderr and str(bogus) in res.stderr


def test_a_failed_up_stops_what_it_started_and_says_why_in_one_line():
    # Postgres starts, then Redis cannot: `up` must stop Postgres again and say why in one line.
    # (A dir the postgres user can reach, so the cluster and its command line live under it.)
    state = Path(tempfile.mkdtemp(prefix="sandbox-failed-up-"))
    try:
        os.chmod(state, 0o755)
        res = run_cli(state, "up", env={"SANDBOX_REDIS_BIN": str(state / "no-redis-server")})
        assert res.returncode == 1
        assert len(res.stderr.strip().splitlines()) == 1 and res.stderr.startswith("sandbox up failed:")
        assert "no-redis-server" in res.stderr
        assert (state / "logs" / "postgres.log").exists(), "Postgres really had started"
        leftovers = [p for p in os.listdir("/proc") if p.isdigit() and str(state) in _cmdline(int(p))]
        assert leftovers == [], "no process of the failed up survives"
        assert not (state / "pids").exists() and not (state / "postgres").exists()
    finally:
        shutil.rmtree(state, ignore_errors=True)


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
