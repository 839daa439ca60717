"""Binds the runbook suites to a target: --target, provider clients, URLs, credentials, the rollback hook."""
from __future__ import annotations

import json
import os
import subprocess
import tomllib
import uuid
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from harness import checks, rollback
from harness.commands import render_command, run_command
from harness.database import Database
from harness.poll import poll
from harness.soak import SoakWindow, utcnow
from harness.target import SANDBOX_START_HINT, Target, TargetError, load_target

STAGES = ("predeploy", "smoke", "postdeploy", "soak")
HTTP_TIMEOUT_S = 15.0
# The code gates need an app checkout; these criteria run commands in it.
CODE_GATES = ("persona-gates", "backend-tests", "frontend-typecheck", "e2e-critical",
              "persona-regression-gate", "persona-regression", "release-tagged")

# Browser fixtures (Debian's Chromium, masked screenshots as evidence) live in their own module.
pytest_plugins = ["harness.browser"]

runbook_key = pytest.StashKey[dict]()
target_key = pytest.StashKey[Target]()
target_error_key = pytest.StashKey[TargetError]()
judged_key = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("runbook", "runbook target (pytest-gonogo suites)")
    group.addoption("--target", dest="target", default="sandbox",
                    help="target to judge: a name from runbook.toml [targets] or a PATH.toml (default: sandbox)")
    group.addoption("--app-repo", dest="app_repo", default=None,
                    help="app checkout the section 3 code gates run in (default: the target's app_repo)")
    group.addoption("--release-sha", dest="release_sha", default=os.environ.get("GITHUB_SHA") or None,
                    help="commit the release under test must be (default: $GITHUB_SHA when set)")
    group.addoption("--soak-duration", dest="soak_duration", type=float, default=None,
                    help="soak window in seconds (default: the target's soak_duration_s)")


def pytest_configure(config: pytest.Config) -> None:
    path = config.rootpath / "runbook.toml"
    with open(path, "rb") as f:
        runbook = tomllib.load(f)  # the gonogo plugin has already validated it
    config.stash[runbook_key] = runbook
    try:
        config.stash[target_key] = load_target(config.option.target, runbook, config.rootpath)
    except TargetError as exc:
        # Raised only when a stage-marked test is selected: `--help` and unrelated runs keep working.
        config.stash[target_error_key] = exc


def pytest_gonogo_target_name(config: pytest.Config) -> str | None:
    target = config.stash.get(target_key, None)
    return target.name if target else config.option.target


def pytest_gonogo_secrets(config: pytest.Config) -> list[str]:
    target = config.stash.get(target_key, None)
    if target is None:
        return []
    values = target.secret_values()
    # A DSN or URL secret also leaks through its password alone (psycopg and redis messages).
    values += [urlsplit(v).password for v in values if "://" in v and urlsplit(v).password]
    # The share URL's last segment is the share token: a credential on its own.
    if target.secrets.get("share_url"):
        values.append(target.secrets["share_url"].rstrip("/").rsplit("/", 1)[-1])
    return values


def _selected_criteria(items: list[pytest.Item]) -> set[str]:
    found = set()
    for item in items:
        if any(item.get_closest_marker(s) for s in STAGES):
            marker = item.get_closest_marker("criterion")
            if marker and marker.args:
                found.add(marker.args[0])
    return found


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before any test runs: the target must load, hold the credentials the selection needs, and answer."""
    if hasattr(session.config, "workerinput"):
        return  # under xdist the controller checked before handing out any test
    _check_ready(session.config, _selected_criteria(session.items))


def _check_ready(config: pytest.Config, criteria: set[str]) -> None:
    if not criteria:
        return
    if target_error_key in config.stash:
        raise pytest.UsageError(str(config.stash[target_error_key]))
    target = config.stash[target_key]
    needs = config.stash[runbook_key].get("needs", {})
    missing = target.missing(r for c in criteria for r in needs.get(c, ()))
    if missing:
        raise pytest.UsageError(
            f"--target {target.name}: missing secret env var(s) {', '.join(missing)} needed by the selected "
            f"criteria; export them, or select fewer stages with -m")
    if criteria & set(CODE_GATES) and not _app_repo(config, target):
        raise pytest.UsageError(
            f"--target {target.name}: the code gates need the app checkout; pass --app-repo PATH")
    if target.sandbox_state:
        try:
            httpx.get(f"{target.api_url}/health", timeout=3.0)
        except httpx.HTTPError:
            raise pytest.UsageError(
                f"target sandbox: the sandbox API at {target.api_url} does not answer; {SANDBOX_START_HINT}") from None


def _stages_in_scope(config: pytest.Config) -> set[str]:
    """The stages `-m` selects (all without `-m`), evaluated as `-m` itself does."""
    markexpr = config.option.markexpr
    if not markexpr:
        return set(STAGES)
    from _pytest.mark.expression import Expression

    expression = Expression.compile(markexpr)
    return {stage for stage in STAGES if expression.evaluate(lambda name, stage=stage, **_: name == stage)}


def _app_repo(config: pytest.Config, target: Target) -> Path | None:
    value = config.option.app_repo or target.app_repo
    return Path(value) if value else None


# ------------------------------------------------------------------------------ rollback (section 7)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return
    stages = _stages_in_scope(config)
    if config.pluginmanager.has_plugin("dsession"):
        # The xdist controller collects nothing: check what the selected stages need (-k aside).
        criteria = config.stash[runbook_key].get("criteria", {})
        _check_ready(config, {cid for cid, c in criteria.items() if c.get("stage") in stages})
    if target_key not in config.stash or not stages - {"predeploy"}:
        return
    # What the verdict will judge: a rollback later acts only if this is still what is live.
    config.stash[judged_key] = rollback.capture_live(config.stash[target_key])


def pytest_gonogo_rollback_actions(config: pytest.Config, verdict, scopes):
    target = config.stash.get(target_key, None)
    if target is None:
        return []
    return rollback.actions(target, scopes, config.stash.get(judged_key, {}),
                            release_sha=config.option.release_sha)


# ------------------------------------------------------------------------------ target and runbook data
@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    return pytestconfig.stash[target_key]


@pytest.fixture(scope="session")
def frontend_origin(target: Target) -> str:
    """The frontend's origin (scheme://host[:port]), as a browser sends it in `Origin`."""
    parts = urlsplit(target.frontend_url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture(scope="session")
def thresholds(pytestconfig: pytest.Config) -> dict:
    return pytestconfig.stash[runbook_key]["thresholds"]


@pytest.fixture(scope="session")
def env_baseline(pytestconfig: pytest.Config) -> dict:
    return pytestconfig.stash[runbook_key]["env_baseline"]


@pytest.fixture(scope="session")
def release(pytestconfig: pytest.Config) -> dict:
    return pytestconfig.stash[runbook_key]["release"]


@pytest.fixture(scope="session")
def release_sha(pytestconfig: pytest.Config) -> str | None:
    return pytestconfig.option.release_sha


@pytest.fixture(scope="session")
def run_id() -> str:
    """Tags every write this run makes (feedback events), so it can be cleaned up."""
    return f"gonogo-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def wait_for():
    return poll


# ------------------------------------------------------------------------------ evidence of every exchange
_current: dict = {"evidence": None}


@pytest.fixture(autouse=True)
def _bind_evidence(request: pytest.FixtureRequest):
    """HTTP exchanges of session-scoped clients land in the evidence of the test that made them."""
    _current["evidence"] = request.getfixturevalue("evidence")
    yield
    _current["evidence"] = None


def _record_response(response: httpx.Response) -> None:
    if _current["evidence"] is not None:
        response.read()
        _current["evidence"].http(response)


def _record_exchange(exchange) -> None:
    # Provider exchanges: method, URL and status only; their bodies can hold env values.
    if _current["evidence"] is not None:
        status = exchange.status if exchange.status is not None else exchange.error
        _current["evidence"].note(f"{exchange.provider}: {exchange.method} {exchange.url}",
                                  f"{status} in {exchange.elapsed_s:.2f} s (attempt {exchange.attempt})")


def _http_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S, event_hooks={"response": [_record_response]})


@pytest.fixture(scope="session")
def api(target: Target):
    with _http_client(target.api_url) as client:
        yield client


@pytest.fixture(scope="session")
def frontend(target: Target):
    with _http_client(target.frontend_url) as client:
        yield client


# ------------------------------------------------------------------------------ provider clients
def _provider_client(make):
    """A session fixture for one provider's client, its exchanges kept as the current test's evidence."""
    @pytest.fixture(scope="session")
    def client(target: Target):
        with make(target, on_exchange=_record_exchange) as provider:
            yield provider

    return client


render = _provider_client(checks.render_client)
vercel = _provider_client(checks.vercel_client)
supabase = _provider_client(checks.supabase_client)
pinecone = _provider_client(checks.pinecone_client)


@pytest.fixture(scope="session")
def render_env(render, target: Target) -> dict[str, dict[str, str]]:
    """The env vars of the API and worker services (values stay in memory, never in evidence)."""
    return {"api": render.list_env_vars(target.render_api_service_id),
            "worker": render.list_env_vars(target.render_worker_service_id)}


@pytest.fixture(scope="session")
def vercel_project(vercel, target: Target) -> dict:
    return checks.vercel_project(vercel, target)


@pytest.fixture(scope="session")
def vercel_env(vercel, target: Target) -> dict[str, str | None]:
    return checks.vercel_production_env(vercel, target)


@pytest.fixture(scope="session")
def database(target: Target) -> Database:
    return Database(target.secret("supabase_db_url"))


@pytest.fixture(scope="session")
def redis_ping(target: Target):
    return lambda: checks.redis_ping(target.secret("redis_url"))


# ------------------------------------------------------------------------------ the app: owner, share
@dataclass(frozen=True)
class Owner:
    token: str
    twin_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Share:
    url: str
    token: str


@pytest.fixture(scope="session")
def owner(api, target: Target, run_id: str):
    response = api.post("/auth/login", json={"email": target.secret("owner_email"),
                                             "password": target.secret("owner_password")})
    assert response.status_code == 200, f"owner login answered {response.status_code}"
    body = response.json()
    twin_id = target.smoke_twin_id or body.get("twin_id")
    assert body.get("access_token") and twin_id, "owner login returned no token or twin"
    owner = Owner(body["access_token"], twin_id)
    yield owner
    # Writes of this run (feedback events and their jobs) are cleaned up at the end.
    api.delete("/feedback/events", params={"run_id": run_id}, headers=owner.headers)


@pytest.fixture(scope="session")
def share(target: Target) -> Share:
    url = target.secret("share_url")
    return Share(url=url, token=url.rstrip("/").rsplit("/", 1)[-1])


# ------------------------------------------------------------------------------ code gates
@pytest.fixture(scope="session")
def app_repo(pytestconfig: pytest.Config, target: Target) -> Path:
    return _app_repo(pytestconfig, target)


@pytest.fixture(scope="session")
def frontend_engines(app_repo: Path, target: Target) -> str:
    package = app_repo / "frontend" / "package.json"
    if package.is_file():
        return json.loads(package.read_text()).get("engines", {}).get("node", target.frontend_node_version)
    return target.frontend_node_version


@pytest.fixture(scope="session")
def app_repo_tags(app_repo: Path, release_sha: str | None) -> list[str]:
    """Tags at the release commit of the app checkout; none when it is not a git repository of its own."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(app_repo), *args], capture_output=True, text=True, timeout=30)

    # `git -C` walks up to any enclosing repository: only the checkout's own counts.
    top = git("rev-parse", "--show-toplevel")
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != app_repo.resolve():
        return []
    result = git("tag", "--points-at", release_sha or "HEAD")
    return result.stdout.split() if result.returncode == 0 else []


@pytest.fixture
def gate(pytestconfig: pytest.Config, target: Target, app_repo: Path, thresholds: dict, evidence):
    """Run a section 3 command of runbook.toml in the app checkout; its output becomes evidence."""
    commands = {**pytestconfig.stash[runbook_key]["commands"], **target.commands}
    env = checks.gate_env(target)

    def run(name: str, **values):
        argv = render_command(commands[name], {**thresholds, **values})
        result = run_command(argv, cwd=app_repo, env=env, timeout=thresholds["gate_timeout_s"])
        evidence.command(argv, -1 if result.returncode is None else result.returncode, result.tail,
                         title=f"{name} ({result.duration_s:.1f} s)")
        return result

    return run


@pytest.fixture
def persona_regression(gate, thresholds: dict, tmp_path: Path, evidence):
    """Run the persona regression runner; return the list of threshold failures (empty: passed)."""
    def run() -> list[str]:
        output = tmp_path / "prod_gate_persona_regression.json"
        result = gate("persona-regression-gate", output=output)
        return checks.persona_failures(result, output, thresholds, evidence)

    return run


# ------------------------------------------------------------------------------ soak
@pytest.fixture(scope="session")
def soak_window(pytestconfig: pytest.Config, render, target: Target, thresholds: dict) -> SoakWindow:
    duration = pytestconfig.option.soak_duration or target.soak_duration_s
    # The window opens when the current state went live: the newer of the API and worker deploys, so the
    # errors of a worker deploy that has since been replaced are not blamed on what is live now.
    finished = [d.finished_at for d in (render.latest_deploy(target.render_api_service_id),
                                        render.latest_deploy(target.render_worker_service_id)) if d and d.finished_at]
    start = (max(finished) if finished else utcnow()).astimezone(timezone.utc)
    interval = min(thresholds["soak_poll_interval_s"], max(1.0, duration / 4))
    return SoakWindow(start=start, duration=duration, interval=interval)


@pytest.fixture
def progress(pytestconfig: pytest.Config):
    """A line an operator can follow during a long soak (the terminal, or stderr under xdist)."""
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")

    def say(line: str) -> None:
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"[gonogo] {line}")

    return say
