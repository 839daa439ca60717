"""`up` survives a port taken between choosing it and binding it: it retries the daemon on fresh ports."""
from __future__ import annotations

import socket

import httpx

from sandbox import cli, services
from sandbox.state import StateDir, read_pids


def test_free_ports_come_from_below_the_ephemeral_range():
    low = services._ephemeral_low()
    ports = {services.free_port() for _ in range(20)}
    assert all(10_000 <= p < low for p in ports)
    assert len(ports) > 1


def test_up_retries_the_daemon_when_a_chosen_port_is_taken(tmp_path, monkeypatch, capsys):
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    real = services.free_port
    calls = {"n": 0}

    def first_render_port_is_taken() -> int:
        calls["n"] += 1
        # Postgres and Redis draw the first two; the third is the API's port of the first attempt.
        return taken.getsockname()[1] if calls["n"] == 3 else real()

    monkeypatch.setattr(services, "free_port", first_render_port_is_taken)
    state_dir = tmp_path / "sb"
    try:
        assert cli.main(["up", "--state-dir", str(state_dir)]) == cli.EXIT_OK, capsys.readouterr().err
        status = cli.read_status(StateDir(state_dir.resolve()))
        assert status["render_api_url"] != f"http://127.0.0.1:{taken.getsockname()[1]}/v1"
        assert httpx.get(status["api_url"] + "/health", timeout=5).json()["status"] == "healthy"
        # Two daemons: the first one's API could not bind the taken port, the second one's could.
        assert (state_dir / "logs" / "controlplane.log").read_text().count("control plane ready") == 2
    finally:
        cli.main(["down", "--state-dir", str(state_dir)])
        taken.close()
    assert read_pids(StateDir(state_dir.resolve())) == {}
