"""Real PostgreSQL, Redis and app processes as detached children on free loopback ports."""

from __future__ import annotations

import os
import pwd
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.wait import wait_for

PG_BIN = Path(os.environ.get("SANDBOX_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_BIN = os.environ.get("SANDBOX_REDIS_BIN", "redis-server")
# The repository root, so `python -m sandbox.app.*` imports from any working directory.
REPO_ROOT = Path(__file__).resolve().parent.parent


class ServiceError(RuntimeError):
    """A service did not start; the message names it and carries the tail of its log."""


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port nobody listens on right now, chosen below the kernel's ephemeral range.

    A port the kernel hands out for bind(0) comes from the range outgoing connections also use, so under
    load a client's connection could take it between our choosing it and the server binding it; a random
    port below that range is never taken that way (and two sandboxes rarely pick the same one).
    """
    high = _ephemeral_low()
    low = max(10_000, high - 12_000)
    for _ in range(100):
        port = random.randrange(low, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped) is dead; do not reap it here, its Popen owner wants the status.
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def stop_pid(pid: int, timeout: float = 5, sig: int = signal.SIGTERM) -> None:
    """Signal the process group led by pid (SIGTERM by default), then SIGKILL it after timeout seconds."""
    for sig, wait in ((sig, timeout), (signal.SIGKILL, 2.0)):  # noqa: B020 - the first round uses the argument
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            os.kill(pid, sig)
        if wait_for(lambda: not pid_alive(pid), timeout=wait, interval=0.02):
            return


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    """Poll until something accepts TCP connections on host:port, else raise ServiceError."""
    def accepts() -> bool:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_for(accepts, timeout=timeout, interval=0.03, error=ServiceError,
             message=f"nothing listens on {host}:{port} after {timeout:.0f} s")


def wait_for_http(url: str, timeout: float = 10.0) -> int:
    """Poll until url answers any HTTP status (a 503 is an answer); return that status."""
    def status() -> int | None:
        try:
            with urllib.request.urlopen(url, timeout=1.0) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except (OSError, urllib.error.URLError):
            return None

    return wait_for(status, timeout=timeout, interval=0.05, error=ServiceError,
                    message=f"{url} did not answer after {timeout:.0f} s")


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _spawn(cmd: list[str], log_path: Path, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        # A new session: the child outlives us and stop_pid can signal its whole group.
        return subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=env, start_new_session=True, close_fds=True, **kwargs,
        )


@dataclass
class _Service:
    pid: int
    port: int
    log_path: Path
    proc: subprocess.Popen | None = field(default=None, repr=False, compare=False)

    def stop(self, timeout: float = 5) -> None:
        stop_pid(self.pid, timeout)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass


@dataclass
class Postgres(_Service):
    data_dir: Path = Path()
    dsn: str = ""
    # A scratch dir outside base_dir when the postgres user cannot reach base_dir (see _pg_home).
    scratch: Path | None = None

    def stop(self, timeout: float = 5) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") waits for every client to leave.
        stop_pid(self.pid, timeout, sig=signal.SIGINT)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


@dataclass
class Redis(_Service):
    url: str = ""


def _as_postgres() -> dict:
    """Popen kwargs to drop to the postgres user: PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


def _reachable_by(path: Path, uid: int, gids: set[int]) -> bool:
    """Whether every ancestor of path can be traversed by uid (pytest's tmp dirs are 0700)."""
    for parent in [path, *path.parents]:
        st = parent.stat()
        if st.st_uid == uid:
            bit = stat.S_IXUSR
        elif st.st_gid in gids:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


def _pg_home(base_dir: Path) -> tuple[Path, Path | None]:
    """Where the cluster lives: under base_dir if the postgres user can reach it, else in /tmp."""
    wanted = base_dir / "postgres"
    if os.geteuid() != 0:
        wanted.mkdir(parents=True, exist_ok=True)
        return wanted, None
    pw = pwd.getpwnam("postgres")
    gids = {pw.pw_gid, *os.getgrouplist("postgres", pw.pw_gid)}
    if _reachable_by(base_dir, pw.pw_uid, gids):
        wanted.mkdir(parents=True, exist_ok=True)
        os.chown(wanted, pw.pw_uid, pw.pw_gid)
        return wanted, None
    scratch = Path(tempfile.mkdtemp(prefix="sandbox-pg-"))
    os.chmod(scratch, 0o755)
    home = scratch / "postgres"
    home.mkdir()
    os.chown(home, pw.pw_uid, pw.pw_gid)
    # Leave a pointer in base_dir so all state is still found from one place.
    (base_dir / "postgres.location").write_text(str(home) + "\n")
    return home, scratch


def start_postgres(base_dir: Path, timeout: float = 15.0) -> Postgres:
    """initdb + start a PostgreSQL cluster on a free port, create database `twin`, wait until it answers."""
    base_dir = Path(base_dir).resolve()
    base_dir.mkdir(parents=True, exist_ok=True)
    home, scratch = _pg_home(base_dir)
    data_dir, sock_dir = home / "data", home / "sock"
    log_path = base_dir / "logs" / "postgres.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    creds = _as_postgres()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    subprocess.run(
        ["mkdir", "-p", str(sock_dir)], check=True, env=env, **creds,
    )
    with open(log_path, "ab") as log:
        init = subprocess.run(
            [str(PG_BIN / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust",
             "--no-sync", "--encoding=UTF8", "--locale=C.UTF-8"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            timeout=60, **creds,
        )
    if init.returncode != 0:
        raise ServiceError(f"initdb failed (exit {init.returncode}); log {log_path}:\n{_log_tail(log_path)}")
    # Another process may grab the free port before postgres binds it: retry on a fresh port.
    for attempt in range(_PORT_ATTEMPTS):
        port = free_port()
        proc = _spawn(
            [str(PG_BIN / "postgres"), "-D", str(data_dir), "-p", str(port), "-h", "127.0.0.1",
             "-k", str(sock_dir), "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=200"],
            log_path, env=env, **creds,
        )
        pg = Postgres(pid=proc.pid, port=port, log_path=log_path, proc=proc, data_dir=data_dir,
                      dsn=f"postgresql://postgres@127.0.0.1:{port}/twin", scratch=scratch)
        try:
            _await_postgres(pg, timeout)
            return pg
        except _PortClash:
            stop_pid(pg.pid)
            if attempt == _PORT_ATTEMPTS - 1:
                pg.stop()
                raise ServiceError(f"postgres could not bind a free port in {_PORT_ATTEMPTS} tries; "
                                   f"log {log_path}:\n{_log_tail(log_path)}") from None
        except ServiceError:
            pg.stop()
            raise
    raise AssertionError("unreachable")


def _await_postgres(pg: Postgres, timeout: float) -> None:
    import psycopg

    admin = f"postgresql://postgres@127.0.0.1:{pg.port}/postgres"

    def created() -> bool:
        if pg.proc.poll() is not None:
            if _clash_in_log(pg.log_path):
                raise _PortClash
            raise ServiceError(f"postgres exited with {pg.proc.returncode}; log {pg.log_path}:\n"
                               f"{_log_tail(pg.log_path)}")
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
                # Make sure we reached our own cluster, not another one that holds this port.
                if conn.execute("SHOW data_directory").fetchone()[0] != str(pg.data_dir):
                    raise _PortClash
                conn.execute("CREATE DATABASE twin")
            return True
        except psycopg.OperationalError:
            return False

    wait_for(created, timeout=timeout, interval=0.05, error=ServiceError,
             message=lambda _: f"postgres on port {pg.port} did not answer in {timeout:.0f} s; "
                               f"log {pg.log_path}:\n{_log_tail(pg.log_path)}")


class _PortClash(Exception):
    """The chosen port was taken between free_port() and the server's bind."""


_PORT_ATTEMPTS = 3


def _clash_in_log(log_path: Path) -> bool:
    tail = _log_tail(log_path, 10)
    return "Address already in use" in tail or "could not bind" in tail


def start_redis(base_dir: Path, timeout: float = 10.0) -> Redis:
    """Start redis-server on a free port without persistence; wait until it answers PING."""
    base_dir = Path(base_dir).resolve()
    data = base_dir / "redis"
    data.mkdir(parents=True, exist_ok=True)
    log_path = base_dir / "logs" / "redis.log"
    for attempt in range(_PORT_ATTEMPTS):
        port = free_port()
        proc = _spawn(
            [REDIS_BIN, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(data)],
            log_path,
        )
        rd = Redis(pid=proc.pid, port=port, log_path=log_path, proc=proc, url=f"redis://127.0.0.1:{port}/0")
        try:
            retry = attempt < _PORT_ATTEMPTS - 1
            wait_for(lambda proc=proc, port=port, retry=retry: _pong(proc, port, log_path, retry=retry),
                     timeout=timeout, interval=0.02, error=ServiceError,
                     message=f"redis on port {port} did not answer in {timeout:.0f} s; log {log_path}")
            return rd
        except _PortClash:
            continue
        except ServiceError:
            rd.stop()
            raise
    raise AssertionError("unreachable")


def _pong(proc: subprocess.Popen, port: int, log_path: Path, retry: bool) -> bool:
    """Whether redis-server answers PING; _PortClash when it exited over a taken port and may retry."""
    if proc.poll() is not None:
        if _clash_in_log(log_path) and retry:
            raise _PortClash
        raise ServiceError(f"redis-server exited with {proc.returncode}; log {log_path}:\n{_log_tail(log_path)}")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_app_process(module: str, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Run `python -m module` with exactly env (plus PATH/PYTHONPATH), stdout+stderr appended to log_path."""
    full = {k: str(v) for k, v in env.items()}
    full.setdefault("PATH", os.environ.get("PATH", "/usr/bin:/bin"))
    pythonpath = [str(REPO_ROOT)] + ([full["PYTHONPATH"]] if full.get("PYTHONPATH") else [])
    full["PYTHONPATH"] = os.pathsep.join(pythonpath)
    # Unbuffered so each JSON log line reaches the file (and the log reader) at once.
    full.setdefault("PYTHONUNBUFFERED", "1")
    return _spawn([sys.executable, "-m", module], Path(log_path), env=full, cwd=str(REPO_ROOT))
