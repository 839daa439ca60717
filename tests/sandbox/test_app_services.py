"""The sandbox's Postgres, Redis and process helpers against the real binaries."""

from __future__ import annotations

import socket

import psycopg
import redis

from sandbox import services


def test_postgres_answers_with_database_twin(pg):
    with psycopg.connect(pg.dsn, connect_timeout=5) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "twin"
    assert services.pid_alive(pg.pid)


def test_redis_answers_ping(redis_server):
    client = redis.Redis.from_url(redis_server.url, socket_timeout=5)
    assert client.ping() is True
    assert services.pid_alive(redis_server.pid)


def test_app_process_gets_exactly_its_env_and_stops_as_a_group(tmp_path):
    port = services.free_port()
    log = tmp_path / "proc.log"
    code = "import os, http.server; print(sorted(k for k in os.environ if k.startswith('ONLY')), flush=True)"
    script = tmp_path / "probe.py"
    script.write_text(code + "\nhttp.server.test(HandlerClass=http.server.SimpleHTTPRequestHandler, "
                      f"port={port}, bind='127.0.0.1')\n")
    env = {"ONLY_ME": "1", "PYTHONPATH": str(tmp_path)}
    proc = services.start_app_process("probe", env, log)
    try:
        assert services.wait_for_http(f"http://127.0.0.1:{port}/", timeout=10) == 200
        assert "['ONLY_ME']" in log.read_text()
    finally:
        services.stop_pid(proc.pid)
    proc.wait(timeout=5)
    assert not services.pid_alive(proc.pid)


def test_stop_pid_kills_a_process_that_ignores_sigterm(tmp_path):
    port = services.free_port()
    script = (
        "import signal, socket, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"srv = socket.create_server(('127.0.0.1', {port}))\n"
        "time.sleep(60)\n"
    )
    (tmp_path / "stubborn.py").write_text(script)
    proc = services.start_app_process("stubborn", {"PYTHONPATH": str(tmp_path)}, tmp_path / "s.log")
    services.wait_for_port(port, timeout=10)
    services.stop_pid(proc.pid, timeout=0.5)
    assert proc.wait(timeout=5) == -9


def _taken_then_free(monkeypatch):
    """free_port() hands out a port someone already listens on, then honest ones."""
    blocker = socket.create_server(("127.0.0.1", 0))
    ports = iter([blocker.getsockname()[1]])
    real = services.free_port
    monkeypatch.setattr(services, "free_port", lambda: next(ports, None) or real())
    return blocker


def test_postgres_and_redis_retry_when_the_port_is_taken(monkeypatch, tmp_path):
    blocker = _taken_then_free(monkeypatch)
    try:
        rd = services.start_redis(tmp_path / "r")
        rd.stop()
        assert rd.port != blocker.getsockname()[1]
        blocker2 = _taken_then_free(monkeypatch)
        pg = services.start_postgres(tmp_path / "p")
        try:
            assert pg.port != blocker2.getsockname()[1]
            with psycopg.connect(pg.dsn, connect_timeout=5) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        finally:
            pg.stop()
            blocker2.close()
    finally:
        blocker.close()
