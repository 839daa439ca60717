"""The runbook's binding to a target, as a pytest plugin: options, readiness, secrets, rollback.

Loaded by the root `pytest.ini` (`-p harness.plugin`), so `--target PATH` is known before pytest reads the
command line for test paths. It builds on gonogo's public API only: the runbook's tables come from
`gonogo.get_runbook(config).extra`, the stages in scope from `gonogo.selected_stages`, the criterion of a
test from `gonogo.criterion_of`. The fixtures the suites use live in `harness.fixtures`.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

import gonogo
from gonogo_providers import errors
from harness import rollback
from harness.target import SANDBOX_START_HINT, Target, TargetError, load_target

pytest_plugins = ["harness.fixtures"]

# The code gates need an app checkout; these criteria run commands in it.
CODE_GATES = ("persona-gates", "backend-tests", "frontend-typecheck", "e2e-critical",
              "persona-regression-gate", "persona-regression", "release-tagged")

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


def runbook_tables(config: pytest.Config) -> dict:
    """The runbook's own tables (targets, thresholds, env baseline, commands, needs...), as gonogo parsed them."""
    runbook = gonogo.get_runbook(config)
    return dict(runbook.extra) if runbook is not None else {}


def pytest_configure(config: pytest.Config) -> None:
    # Registered now, after the installed plugins: its `browser_type_launch_args` overrides
    # pytest-playwright's (between plugins, the fixture registered last wins).
    config.pluginmanager.import_plugin("harness.browser")
    runbook = gonogo.get_runbook(config)
    if runbook is None:
        return
    try:
        config.stash[target_key] = load_target(config.getoption("target"), runbook.extra, runbook.path.parent)
    except TargetError as exc:
        # Raised only when a stage-marked test is selected: `--help` and unrelated runs keep working.
        config.stash[target_error_key] = exc


def get_target(config: pytest.Config) -> Target:
    return config.stash[target_key]


def app_repo_of(config: pytest.Config, target: Target) -> Path | None:
    value = config.getoption("app_repo") or target.app_repo
    return Path(value) if value else None


def pytest_gonogo_target_name(config: pytest.Config) -> str | None:
    target = config.stash.get(target_key, None)
    return target.name if target else config.getoption("target")


def pytest_gonogo_release_sha(config: pytest.Config) -> str | None:
    return config.getoption("release_sha")


# Provider trouble: we could not observe, which says nothing about the app (a test failing with one of these is
# inconclusive). A refused credential is ours (AuthError); a named resource that does not exist
# (NotFoundError) is a fact about the topology, and the app's own answers (its /health 503, a failed build,
# a P1 in its logs) are assertions: both stay failures. Each error's message names the provider, the call
# and the status (gonogo_providers/errors.py).
PROVIDER_TROUBLE = (errors.ProviderTimeout, errors.ProviderUnreachable, errors.ServerError, errors.RateLimitedError,
                    errors.MalformedResponse, errors.AuthError, errors.PaginationLimitExceeded)


def pytest_gonogo_inconclusive_exceptions(config: pytest.Config) -> tuple[type[BaseException], ...]:
    return PROVIDER_TROUBLE


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


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before any test runs: the target must load, hold the credentials the selection needs, and answer."""
    if hasattr(session.config, "workerinput") or session.config.getoption("collectonly"):
        return  # under xdist the controller checked before handing out any test; --co runs nothing
    selected = {gonogo.criterion_of(item) for item in session.items}
    _check_ready(session.config, selected - {None})


def _check_ready(config: pytest.Config, criteria: Iterable[str]) -> None:
    criteria = set(criteria)
    if not criteria:
        return
    if target_error_key in config.stash:
        raise pytest.UsageError(str(config.stash[target_error_key]))
    target = config.stash[target_key]
    needs = runbook_tables(config).get("needs", {})
    missing = target.missing(r for c in criteria for r in needs.get(c, ()))
    if missing:
        raise pytest.UsageError(
            f"--target {target.name}: missing secret env var(s) {', '.join(missing)} needed by the selected "
            f"criteria; export them, or select fewer stages with -m")
    if criteria & set(CODE_GATES) and not app_repo_of(config, target):
        raise pytest.UsageError(
            f"--target {target.name}: the code gates need the app checkout; pass --app-repo PATH")
    if target.sandbox_state:
        try:
            httpx.get(f"{target.api_url}/health", timeout=3.0)
        except httpx.HTTPError:
            raise pytest.UsageError(
                f"target sandbox: the sandbox API at {target.api_url} does not answer; {SANDBOX_START_HINT}") from None


# ------------------------------------------------------------------------------ rollback (section 7)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    runbook = gonogo.get_runbook(config)
    if runbook is None or hasattr(config, "workerinput"):
        return
    stages = set(gonogo.selected_stages(config))
    if config.pluginmanager.has_plugin("dsession"):
        # The xdist controller collects nothing: check what the selected stages need (-k aside).
        _check_ready(config, {c.id for c in runbook.criteria.values() if c.stage in stages})
    if target_key not in config.stash or not stages - {"predeploy"}:
        return
    # What the verdict will judge: a rollback later acts only if this is still what is live.
    config.stash[judged_key] = rollback.capture_live(config.stash[target_key])


def pytest_gonogo_rollback_actions(config: pytest.Config, verdict, scopes):
    target = config.stash.get(target_key, None)
    if target is None:
        return []
    return rollback.actions(target, scopes, config.stash.get(judged_key, {}),
                            release_sha=config.getoption("release_sha"))
