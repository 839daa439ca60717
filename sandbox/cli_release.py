"""The CLI's release-side commands: `next-release` (which build the next release ships) and `counters`.

Imported by sandbox/cli.py when one of them runs (this module takes the CLI's exit codes from it).

`next-release --build FAULT` rewrites the checkout's `next` commit with the app build of a build fault of the
registry (its `Sandbox-Build:` trailer), so releasing `next` ships that bad build; `--reset` makes it the
healthy commit again (the very first sha: the rewrite keeps the commit's date). `counters` shows how many
times each side effect happened since `up`, from each emulator's `GET /_sandbox/counters`.
"""

from __future__ import annotations

import json

from sandbox.checkout import NEXT_BRANCH, CheckoutError, read_commit, write_next
from sandbox.cli import EXIT_FAIL, EXIT_OK, EXIT_USAGE, PROVIDERS, _err, _say
from sandbox.config import SandboxConfig, write_private
from sandbox.faults import BUILD_FAULTS, FAULTS
from sandbox.state import StateDir, read_pids, read_status


def _not_up(state: StateDir) -> int:
    _err(f"sandbox is not up in {state.root}; start it with: python -m sandbox up")
    return EXIT_FAIL


def _describe(state: StateDir) -> str:
    commit = read_commit(state.app_repo, NEXT_BRANCH)
    if commit is None:
        return f"no branch {NEXT_BRANCH} in {state.app_repo}"
    build = ", ".join(commit.build) or "healthy"
    return f"{NEXT_BRANCH} at {commit.sha[:12]} {commit.message!r} (build: {build})"


def cmd_next_release(state: StateDir, builds: list[str] | None, reset: bool) -> int:
    """Show the next release, or rewrite it with the builds of the named faults (`--reset`: none)."""
    if builds and reset:
        _err("next-release: give --build FAULT or --reset, not both")
        return EXIT_USAGE
    unknown = [b for b in builds or () if b not in BUILD_FAULTS]
    if unknown:
        _err(f"next-release: {', '.join(map(repr, unknown))} is not a build fault; choose among: "
             f"{', '.join(BUILD_FAULTS)}")
        return EXIT_USAGE
    if not state.config.exists() or not (state.app_repo / ".git").exists():
        return _not_up(state)
    if not builds and not reset:
        _say(f"next release: {_describe(state)}")
        return EXIT_OK
    flags = tuple(dict.fromkeys(f for b in builds or () for f in FAULTS[b].switch.flags))
    try:
        sha = write_next(state.app_repo, flags)
    except CheckoutError as exc:
        _err(f"next-release failed: {exc}")
        return EXIT_FAIL
    config = SandboxConfig.load(state.config)
    config.next_sha = sha
    config.save(state.config)
    status = read_status(state)
    if status is not None:
        status["next_release_sha"] = sha
        write_private(state.status, json.dumps(status, indent=2))
    _say(f"next release: {_describe(state)}")
    return EXIT_OK


def _leaves(node: dict, path: tuple[str, ...] = ()):
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*path, key))
        else:
            yield (*path, key), value


def cmd_counters(state: StateDir, as_json: bool) -> int:
    """Each emulator's side effects since `up`: one JSON object per provider, or one line per count."""
    if not state.config.exists() or "controlplane" not in read_pids(state):
        return _not_up(state)
    import httpx

    config = SandboxConfig.load(state.config)
    try:
        got = {name: httpx.get(config.url(name) + "/_sandbox/counters", timeout=5).raise_for_status().json()
               for name in PROVIDERS}
    except (httpx.HTTPError, ValueError) as exc:
        _err(f"counters: {type(exc).__name__} reading an emulator's counters: {exc}")
        return EXIT_FAIL
    if as_json:
        print(json.dumps(got, indent=2))
        return EXIT_OK
    # Render counts per service id: shown with the role it stands for (`srv-...` is in the status).
    roles = {v: k.removeprefix("render_").removesuffix("_id").replace("_", " ") for k, v in config.ids.items()
             if k.endswith("_service_id")}
    lines = [f"{name:9} {path[0]:19} {' / '.join(roles.get(p, p) for p in path[1:])}: {count}"
             for name, counts in got.items()
             for path, count in _leaves({k: v for k, v in counts.items() if k != "since"})]
    _say(f"side effects since up ({got['render']['since']}):")
    for line in lines or ["  none"]:
        _say(line)
    return EXIT_OK
