"""The fixtures the runbook suites use: the target's data, HTTP and provider clients, the owner, code gates, soak.

Registered by `harness.plugin`. Every HTTP exchange a shared client makes lands in the evidence of the test
making it (`gonogo.current_evidence`).
"""
from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

import gonogo
from harness import checks
from harness.charts import Abort, soak_svg
from harness.commands import render_command, run_command
from harness.database import Database
from harness.plugin import app_repo_of, get_target, runbook_tables
from harness.poll import poll
from harness.progress import ReporterProgress
from harness.soak import SoakWindow, utcnow
from harness.soak_series import read_series
from harness.target import Target

HTTP_TIMEOUT_S = 15.0


# ------------------------------------------------------------------------------ target and runbook data
@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    return get_target(pytestconfig)


@pytest.fixture(scope="session")
def frontend_origin(target: Target) -> str:
    """The frontend's origin (scheme://host[:port]), as a browser sends it in `Origin`."""
    parts = urlsplit(target.frontend_url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture(scope="session")
def thresholds(pytestconfig: pytest.Config) -> dict:
    return runbook_tables(pytestconfig)["thresholds"]


@pytest.fixture(scope="session")
def env_baseline(pytestconfig: pytest.Config) -> dict:
    return runbook_tables(pytestconfig)["env_baseline"]


@pytest.fixture(scope="session")
def topology(pytestconfig: pytest.Config) -> dict:
    """Section 1 as data: what each Render service must be (runbook.toml [topology])."""
    return runbook_tables(pytestconfig)["topology"]


@pytest.fixture(scope="session")
def release(pytestconfig: pytest.Config) -> dict:
    return runbook_tables(pytestconfig)["release"]


@pytest.fixture(scope="session")
def release_sha(pytestconfig: pytest.Config) -> str | None:
    return pytestconfig.getoption("release_sha")


@pytest.fixture(scope="session")
def run_id() -> str:
    """Tags every write this run makes (feedback events), so it can be cleaned up."""
    return f"gonogo-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def wait_for():
    return poll


# ------------------------------------------------------------------------------ evidence of every exchange
def _recorders(config: pytest.Config):
    """Event hooks that keep each exchange as evidence of the test running now."""
    def record_response(response: httpx.Response) -> None:
        evidence = gonogo.current_evidence(config)
        if evidence is not None:
            response.read()
            evidence.http(response)

    def record_exchange(exchange) -> None:
        # Provider exchanges: method, URL and status only; their bodies can hold env values.
        evidence = gonogo.current_evidence(config)
        if evidence is not None:
            status = exchange.status if exchange.status is not None else exchange.error
            evidence.note(f"{exchange.provider}: {exchange.method} {exchange.url}",
                          f"{status} in {exchange.elapsed_s:.2f} s (attempt {exchange.attempt})")

    return record_response, record_exchange


def _http_client(config: pytest.Config, base_url: str) -> httpx.Client:
    record_response, _ = _recorders(config)
    return httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S, event_hooks={"response": [record_response]})


@pytest.fixture(scope="session")
def api(pytestconfig: pytest.Config, target: Target):
    with _http_client(pytestconfig, target.api_url) as client:
        yield client


@pytest.fixture(scope="session")
def api_unrecorded(target: Target):
    """The API without per-exchange evidence, for tight polls whose test keeps a summary instead."""
    with httpx.Client(base_url=target.api_url, timeout=HTTP_TIMEOUT_S) as client:
        yield client


@pytest.fixture(scope="session")
def frontend(pytestconfig: pytest.Config, target: Target):
    with _http_client(pytestconfig, target.frontend_url) as client:
        yield client


# ------------------------------------------------------------------------------ provider clients
def _provider_client(make):
    """A session fixture for one provider's client, its exchanges kept as the current test's evidence."""
    @pytest.fixture(scope="session")
    def client(pytestconfig: pytest.Config, target: Target):
        _, record_exchange = _recorders(pytestconfig)
        with make(target, on_exchange=record_exchange) as provider:
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
    return app_repo_of(pytestconfig, target)


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
    commands = {**runbook_tables(pytestconfig)["commands"], **target.commands}
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
    """Run the persona regression runner; return the list of threshold failures (empty: passed).

    `measure=True`: its pass rates are also this run's measures (`persona_pass_rate`...), compared with the last
    GO on the target; the deployed release's (go/no-go 4) are, not the predeploy gate's.
    """
    def run(measure: bool = False) -> list[str]:
        output = tmp_path / "prod_gate_persona_regression.json"
        result = gate("persona-regression-gate", output=output)
        return checks.persona_failures(result, output, thresholds, evidence, measure=measure)

    return run


# ------------------------------------------------------------------------------ soak
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("runbook").addoption(
        "--soak-since", dest="soak_since", default=None, metavar="ISO8601",
        help="open the soak window at this UTC time instead of now, so it ends when it would have and reads the "
             "logs since then (a resumed release keeps its soak window; default: now)")


def parse_soak_since(value: str | None) -> datetime | None:
    """`--soak-since` as an aware UTC datetime (a value without a zone is UTC); None when not given."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise pytest.UsageError(f"--soak-since {value!r} is not an ISO 8601 time; give e.g. "
                                "2026-11-24T10:00:00Z") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def pytest_configure(config: pytest.Config) -> None:
    parse_soak_since(config.getoption("soak_since", None))  # a bad value is exit 4 before any test runs


def soak_window_for(finished: list[datetime], duration: float, poll_interval: float,
                    since: datetime | None = None) -> SoakWindow:
    """Errors count from the newer deploy's finish (never later than `since`); observation runs `duration`
    seconds from `since`, or from now."""
    start = (max(finished) if finished else utcnow()).astimezone(UTC)
    if since is not None:
        start = min(start, since)
    interval = min(poll_interval, max(1.0, duration / 4))
    return SoakWindow(start=start, duration=duration, interval=interval, observe_from=since or utcnow())


@pytest.fixture(scope="session")
def soak_window(pytestconfig: pytest.Config, render, target: Target, thresholds: dict) -> SoakWindow:
    duration = pytestconfig.getoption("soak_duration") or target.soak_duration_s
    # The window opens when the current state went live: the newer of the API and worker deploys, so the
    # errors of a worker deploy that has since been replaced are not blamed on what is live now.
    finished = [d.finished_at for d in (render.latest_deploy(target.render_api_service_id),
                                        render.latest_deploy(target.render_worker_service_id)) if d and d.finished_at]
    since = parse_soak_since(pytestconfig.getoption("soak_since"))
    return soak_window_for(finished, duration, thresholds["soak_poll_interval_s"], since)


@pytest.fixture
def progress(pytestconfig: pytest.Config):
    """Where a long soak stands, for the operator: `progress.poll(what, elapsed, remaining, seen, at)` rewrites
    one line on a terminal and prints a plain line per poll with CI=true or no terminal (harness/progress.py);
    `progress(text)` prints a line."""
    printer = ReporterProgress(pytestconfig)
    yield printer
    printer.close()


class SoakChart:
    """The `soak_chart` fixture's value: the test says where it stopped early (`abort`), if it did."""

    def __init__(self) -> None:
        self.aborted: Abort | None = None

    def abort(self, at: datetime, label: str) -> None:
        self.aborted = Abort(at, label)


@pytest.fixture
def soak_chart(pytestconfig: pytest.Config, target: Target, soak_window: SoakWindow, thresholds: dict, evidence):
    """The soak window drawn when the test ends, passed or aborted (harness/charts.py): log lines by level,
    API requests, CPU and memory, the abort marked; an SVG in the run's artifacts, attached as evidence."""
    chart = SoakChart()
    yield chart
    until = chart.aborted.at if chart.aborted else soak_window.now()
    try:
        # Its own client: what the picture reads is not evidence of the judgment, and would bury it.
        with checks.render_client(target) as quiet:
            series = read_series(quiet, target, thresholds, soak_window, until, chart.aborted)
        settings = gonogo.get_settings(pytestconfig)
        artifacts = settings.artifacts_dir if settings else pytestconfig.rootpath / "reports" / "artifacts"
        artifacts.mkdir(parents=True, exist_ok=True)
        path = artifacts / f"soak-{soak_window.observe_from:%Y%m%dT%H%M%SZ}.svg"
        path.write_text(soak_svg(series), encoding="utf-8")
        stopped = f", aborted at {chart.aborted.at:%H:%M:%S}Z: {chart.aborted.label}" if chart.aborted else ""
        evidence.attach(path, title=f"soak window {series.start:%H:%M:%S}Z-{until:%H:%M:%S}Z: app log lines by level, "
                                    f"API requests, CPU and memory{stopped}", mime="image/svg+xml")
        if series.missing:
            evidence.note("soak chart: not drawn", "; ".join(series.missing))
    except Exception as exc:  # noqa: BLE001 - the picture never changes what the soak judged
        evidence.note("soak chart unavailable", f"{type(exc).__name__}: {exc}")
