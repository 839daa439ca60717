"""`python -m sandbox up | down | status [--json] | fault NAME | fault --clear | faults | chaos ... |
next-release [--build FAULT | --reset] | counters [--json]`."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sandbox import faults
from sandbox.checkout import NEXT_BRANCH, make_checkout
from sandbox.config import SandboxConfig, new_config, write_private
from sandbox.emulators.chaos import ALWAYS, MODES, ChaosError, parse_count
from sandbox.faults import BUILD_COMMITS, BUILD_FAULTS, FAULTS
from sandbox.state import (
    READY_FILE,
    StateDir,
    active_faults,
    clean,
    load_faults,
    read_pids,
    read_status,
    record_pid,
    save_faults,
    stop_all,
)
from sandbox.wait import wait_for

DEFAULT_STATE_DIR = ".sandbox"
# A bound, not the target: `up` takes 3-5 s here, ~7 s under heavy load; on a loaded CI machine running
# two test workers beside it, a 14 s bound failed good starts. Past this, `up` stops what it started.
UP_TIMEOUT_S = 45.0
OWNER_EMAIL = "owner@digitalbrains.sandbox.test"
EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
DAEMON_MODULE = "sandbox.controlplane"
DAEMON_ATTEMPTS = 3
DAEMON_PROCESSES = ("controlplane", "api", "worker", "frontend")
PROVIDERS = ("render", "vercel", "supabase", "pinecone")


class UpError(RuntimeError):
    """`up` could not finish; one line saying why."""


def _say(msg: str) -> None:
    print(msg, flush=True)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def status_of(config: SandboxConfig, state: StateDir) -> dict:
    """The status object (sandbox/README.md, "Status JSON")."""
    ids = config.ids
    return {
        "api_url": config.url("api"),
        "frontend_url": config.url("frontend"),
        "render_api_url": config.url("render") + "/v1",
        "vercel_api_url": config.url("vercel"),
        "supabase_api_url": config.url("supabase"),
        "pinecone_api_url": config.url("pinecone"),
        "database_url": config.database_url,
        "redis_url": config.redis_url,
        **ids,
        "app_repo": str(state.app_repo),
        "owner_email": config.owner_email,
        "owner_password": config.owner_password,
        "share_url": f"{config.url('frontend')}/share/{config.share_token}",
        "share_token": config.share_token,
        "twin_id": config.twin_id,
        "release_sha": config.head_sha,
        "previous_sha": config.prev_sha,
        "next_release_sha": config.next_sha,
        "next_release_branch": NEXT_BRANCH,
        "secrets": dict(config.secrets),
        "pids": read_pids(state),
        "state_dir": str(state.root),
    }


def _wait_http(url: str, deadline: float, daemon: subprocess.Popen, clash=lambda: False) -> None:
    import httpx

    def answers() -> bool:
        if daemon.poll() is not None:
            raise UpError("the control-plane daemon exited")
        try:
            httpx.get(url, timeout=1.0)
            return True
        except httpx.HTTPError:
            if clash():
                raise UpError(f"{url}: its port was taken by another process") from None
            return False

    wait_for(answers, timeout=deadline - time.monotonic(), interval=0.05, error=UpError,
             message=f"{url} did not answer in {UP_TIMEOUT_S:.0f} s")


def _wait_ready(state: StateDir, deadline: float, daemon: subprocess.Popen) -> None:
    ready = state.root / READY_FILE

    def written() -> bool:
        if daemon.poll() is not None and not ready.exists():
            raise UpError(f"the control-plane daemon exited; see {state.logs / 'controlplane.log'}")
        return ready.exists()

    wait_for(written, timeout=deadline - time.monotonic(), interval=0.05, error=UpError,
             message=f"the control plane was not ready in {UP_TIMEOUT_S:.0f} s; "
                     f"see {state.logs / 'controlplane.log'}")
    info = json.loads(ready.read_text())
    if not info.get("ready"):
        raise UpError(f"the control plane failed: {info.get('error')}")


def _bring_up(state: StateDir, t0: float) -> dict:
    from sandbox import services
    from sandbox.app import db

    deadline = t0 + UP_TIMEOUT_S
    pg = services.start_postgres(state.root)
    record_pid(state, "postgres", pg.pid)
    redis = services.start_redis(state.root)
    record_pid(state, "redis", redis.pid)
    db.migrate(pg.dsn)
    password = secrets.token_urlsafe(12)
    seeded = db.seed(pg.dsn, OWNER_EMAIL, password)
    checkout = make_checkout(state.app_repo)
    shas = (checkout.previous, checkout.release) if checkout else None
    for attempt in range(DAEMON_ATTEMPTS):
        ports = {name: services.free_port() for name in ("api", "frontend", "render", "vercel", "supabase", "pinecone")}
        config = new_config(state.root, ports, pg.dsn, redis.url, seeded, OWNER_EMAIL, password, shas,
                            BUILD_COMMITS, checkout.next if checkout else "")
        config.save(state.config)
        (state.root / READY_FILE).unlink(missing_ok=True)
        marks = _log_marks(state)
        with open(state.logs / "controlplane.log", "ab") as log:
            daemon = subprocess.Popen(
                [sys.executable, "-m", DAEMON_MODULE, "--state-dir", str(state.root)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                cwd=str(services.REPO_ROOT), env={**_clean_env(), "PYTHONPATH": str(services.REPO_ROOT)})
        record_pid(state, "controlplane", daemon.pid)
        clash = lambda marks=marks: _port_clash(state, marks)  # noqa: E731
        try:
            _wait_ready(state, deadline, daemon)
            for name in ("render", "vercel", "supabase", "pinecone"):
                _wait_http(config.url(name) + "/_sandbox/ping", deadline, daemon, clash)
            _wait_http(config.url("api") + "/health", deadline, daemon, clash)
            _wait_http(config.url("frontend") + "/login", deadline, daemon, clash)
            break
        except UpError:
            # A chosen port taken before the daemon or an app bound it: stop them, retry on fresh ports.
            if attempt == DAEMON_ATTEMPTS - 1 or not clash():
                raise
            stop_all(state, only=DAEMON_PROCESSES)
    status = status_of(config, state)
    write_private(state.status, json.dumps(status, indent=2))
    return status


def _log_marks(state: StateDir) -> dict[Path, int]:
    return {log: log.stat().st_size for log in state.logs.glob("*")}


def _port_clash(state: StateDir, marks: dict[Path, int]) -> bool:
    """Whether a log line written since `marks` says a port was already taken."""
    for log in state.logs.glob("*"):
        with open(log, "rb") as f:
            f.seek(marks.get(log, 0))
            new = f.read().decode(errors="replace")
        if "Address already in use" in new or "could not listen" in new or "Errno 98" in new:
            return True
    return False


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}


def cmd_up(state: StateDir) -> int:
    if state.root.exists() and not state.root.is_dir():
        _err(f"--state-dir {state.root} is a file, not a directory; pass a directory (default {DEFAULT_STATE_DIR}/)")
        return EXIT_USAGE
    running = read_pids(state)
    if running:
        _err(f"sandbox is already up in {state.root} (pids {', '.join(map(str, running.values()))}); "
             f"stop it with: python -m sandbox down --state-dir {state.root}")
        return EXIT_FAIL
    t0 = time.monotonic()
    try:
        clean(state)
        shutil.rmtree(state.logs, ignore_errors=True)
        state.logs.mkdir(parents=True, exist_ok=True)
        state.pids.mkdir(parents=True, exist_ok=True)
        status = _bring_up(state, t0)
    except BaseException as exc:  # noqa: BLE001 - also Ctrl-C: stop what we started, then say why
        stop_all(state)
        clean(state)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        _err(f"sandbox up failed: {reason} (logs in {state.logs})")
        return EXIT_FAIL
    _say(f"sandbox up in {time.monotonic() - t0:.1f} s (state dir {state.root})")
    _print_summary(status)
    return EXIT_OK


def _print_summary(status: dict) -> None:
    for key in ("api_url", "frontend_url", "render_api_url", "vercel_api_url", "supabase_api_url",
                "pinecone_api_url", "render_api_service_id", "render_worker_service_id", "vercel_project_id",
                "supabase_project_ref", "pinecone_index", "app_repo", "owner_email", "share_url"):
        _say(f"  {key:26} {status[key]}")
    _say("  (tokens and passwords: python -m sandbox status --json)")


def cmd_down(state: StateDir) -> int:
    t0 = time.monotonic()
    stopped = stop_all(state)
    had_state = state.config.exists() or state.status.exists()
    clean(state)
    if stopped or had_state:
        _say(f"sandbox down in {time.monotonic() - t0:.1f} s (stopped {', '.join(stopped) or 'nothing'})")
    else:
        _say(f"sandbox is not up in {state.root}; nothing to stop")
    return EXIT_OK


def cmd_status(state: StateDir, as_json: bool) -> int:
    status = read_status(state)
    if status is None:
        if as_json:
            print(json.dumps({"up": False, "state_dir": str(state.root)}))
        else:
            _err(f"sandbox is not up in {state.root}; start it with: python -m sandbox up")
        return EXIT_FAIL
    status["pids"] = read_pids(state)
    status["up"] = "controlplane" in status["pids"]
    status["faults"] = active_faults(state)
    if as_json:
        print(json.dumps(status, indent=2))
        return EXIT_OK
    _say(f"sandbox {'up' if status['up'] else 'DEGRADED (control plane not running)'} in {state.root}")
    _print_summary(status)
    _say(f"  {'processes':26} {', '.join(f'{k}={v}' for k, v in status['pids'].items())}")
    _say(f"  {'faults':26} {', '.join(status['faults']) or 'none'}")
    return EXIT_OK


def cmd_faults() -> int:
    for f in FAULTS.values():
        _say(f"{f.name:24} {f.switch.arrives}  ->  {f.effect}; NO-GO: {', '.join(sorted(f.no_go))}")
    return EXIT_OK


def cmd_fault(state: StateDir, name: str | None, clear: bool) -> int:
    if not state.config.exists() or "controlplane" not in read_pids(state):
        _err(f"sandbox is not up in {state.root}; start it with: python -m sandbox up")
        return EXIT_FAIL
    if not clear and name not in FAULTS:
        _err(f"fault {name!r} is unknown; choose one of: {', '.join(FAULTS)} "
             "(or --clear); `python -m sandbox faults` lists them")
        return EXIT_USAGE
    from sandbox.operator import Operator  # httpx + psycopg: only when a fault is injected

    config = SandboxConfig.load(state.config)
    data = load_faults(state)
    op = Operator(config)
    try:
        if clear:
            done = faults.clear(op, data["saved"])
            save_faults(state, {"active": [], "saved": {}})
            _say("faults cleared: " + ("; ".join(done) if done else "already at the baseline"))
        else:
            faults.apply(op, name, data["saved"], data["active"])
            data["active"] = [*[a for a in data["active"] if a != name], name]
            save_faults(state, data)
            _say(f"fault {name} injected: {FAULTS[name].effect}")
    except Exception as exc:  # noqa: BLE001 - FaultError, OSError, a provider's surprise: one line, no traceback
        _err(f"fault {'--clear' if clear else name} failed: {str(exc).splitlines()[0] if str(exc) else exc!r}")
        return EXIT_FAIL
    finally:
        op.close()
    return EXIT_OK


def cmd_chaos(state: StateDir, provider: str | None, mode: str | None, count: str, delay: float | None,
              retry_after: int, clear: bool) -> int:
    """Switch one emulator's chaos on (`/_sandbox/chaos`), clear it (one or all), or show it (no arguments)."""
    if provider is not None and provider not in PROVIDERS:
        _err(f"chaos: provider {provider!r} is unknown; choose one of: {', '.join(PROVIDERS)}")
        return EXIT_USAGE
    if clear and mode is not None or not clear and (provider is None) != (mode is None):
        _err("chaos: give PROVIDER MODE, or --clear [PROVIDER], or nothing to show the switches")
        return EXIT_USAGE
    if mode is not None and mode not in MODES:
        _err(f"chaos: mode {mode!r} is unknown; choose one of: {', '.join(MODES)}")
        return EXIT_USAGE
    body: dict = {"mode": mode, "retry_after": retry_after, **({"delay_s": delay} if delay is not None else {})}
    try:
        many = parse_count(count if count == ALWAYS else int(count))
        body["count"] = ALWAYS if many is None else many
    except (ValueError, ChaosError):
        _err(f'chaos: --count must be a whole number >= 0 or "always" (0 and always: every request); got {count!r}')
        return EXIT_USAGE
    if not state.config.exists() or "controlplane" not in read_pids(state):
        _err(f"sandbox is not up in {state.root}; start it with: python -m sandbox up")
        return EXIT_FAIL
    import httpx

    config = SandboxConfig.load(state.config)
    targets = [provider] if provider else list(PROVIDERS)
    try:
        for name in targets:
            url = config.url(name) + "/_sandbox/chaos"
            res = (httpx.delete(url, timeout=5) if clear else httpx.post(url, json=body, timeout=5) if mode
                   else httpx.get(url, timeout=5))
            if res.status_code != 200:
                _err(f"chaos {name}: the emulator answered {res.status_code}: {res.text[:200]}")
                return EXIT_FAIL
            got = res.json()
            if not clear and not mode:
                _say(f"{name:9} {got['mode'] or 'off'}"
                     + (f" ({got['count']} more)" if got["mode"] and got["count"] != ALWAYS else ""))
    except httpx.HTTPError as exc:
        _err(f"chaos: {type(exc).__name__} talking to the emulator: {exc}")
        return EXIT_FAIL
    if clear:
        _say(f"chaos cleared on {', '.join(targets)}")
    elif mode:
        many = "every request" if body["count"] == ALWAYS else f"the next {body['count']} request(s)"
        _say(f"chaos {provider}: {mode} on {many} ({MODES[mode]})")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state-dir", dest="state_dir", default=argparse.SUPPRESS,
                        help=f"where all sandbox state lives (default {DEFAULT_STATE_DIR}/ in the cwd)")
    faults_help = "faults: " + ", ".join(FAULTS)
    parser = argparse.ArgumentParser(prog="python -m sandbox", parents=[common], epilog=faults_help,
                                     description="A local, real rehearsal of the production deployment.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", parents=[common], help="start everything, wait until it answers, return")
    sub.add_parser("down", parents=[common], help="stop everything it started")
    st = sub.add_parser("status", parents=[common], help="what runs where")
    st.add_argument("--json", action="store_true", dest="as_json", help="one JSON object")
    ft = sub.add_parser("fault", parents=[common], help="inject a fault NAME, or --clear them all",
                        epilog=faults_help)
    ft.add_argument("name", nargs="?", help="the fault to inject")
    ft.add_argument("--clear", action="store_true", help="back to the healthy baseline")
    sub.add_parser("faults", parents=[common], help="list the faults and what each does")
    modes = "; ".join(f"{m}: {what}" for m, what in MODES.items())
    ch = sub.add_parser("chaos", parents=[common], help="make one provider emulator misbehave, or --clear",
                        description="Make one provider emulator's API calls misbehave (the /_sandbox routes and "
                                    "the app are untouched). While it lasts, `fault` may fail too (it calls "
                                    "the same APIs).", epilog="modes: " + modes)
    ch.add_argument("provider", nargs="?", metavar="PROVIDER", help=f"one of: {', '.join(PROVIDERS)}")
    ch.add_argument("mode", nargs="?", metavar="MODE", help=f"one of: {', '.join(MODES)}")
    ch.add_argument("--count", dest="count", default="1",
                    help='how many requests misbehave (default 1); 0 or "always": every request')
    ch.add_argument("--delay", dest="delay", type=float, default=None,
                    help="seconds a slow / hang request is held (default 2 for slow, 30 for hang)")
    ch.add_argument("--retry-after", dest="retry_after", type=int, default=1,
                    help="Retry-After seconds of a 429 (default 1)")
    ch.add_argument("--clear", action="store_true", help="chaos off (on PROVIDER, or on all four)")
    nx = sub.add_parser("next-release", parents=[common], help=f"the next release (branch {NEXT_BRANCH}): show it, "
                        "give it a fault's bad build, or --reset it", epilog="build faults: " + ", ".join(BUILD_FAULTS))
    nx.add_argument("--build", action="append", dest="builds", metavar="FAULT",
                    help="rewrite the next release's commit with this build fault's build (repeatable)")
    nx.add_argument("--reset", action="store_true", help="the next release healthy again")
    co = sub.add_parser("counters", parents=[common], help="how many times each side effect happened since up")
    co.add_argument("--json", action="store_true", dest="as_json", help="one JSON object per emulator")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    state = StateDir(Path(getattr(args, "state_dir", DEFAULT_STATE_DIR)).resolve())
    if args.command == "up":
        return cmd_up(state)
    if args.command == "down":
        return cmd_down(state)
    if args.command == "status":
        return cmd_status(state, args.as_json)
    if args.command == "faults":
        return cmd_faults()
    if args.command == "chaos":
        return cmd_chaos(state, args.provider, args.mode, args.count, args.delay, args.retry_after, args.clear)
    if args.command in ("next-release", "counters"):
        from sandbox import cli_release  # it imports this module's constants: loaded once this one is

        if args.command == "counters":
            return cli_release.cmd_counters(state, args.as_json)
        return cli_release.cmd_next_release(state, args.builds, args.reset)
    if bool(args.name) == bool(args.clear):
        _err("fault: give exactly one of NAME or --clear (python -m sandbox faults lists the names)")
        return EXIT_USAGE
    return cmd_fault(state, args.name, args.clear)
