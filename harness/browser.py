"""Browser fixtures for the Playwright flows: Debian's Chromium, page errors, masked screenshots as evidence."""
from __future__ import annotations

import os

import pytest

import gonogo
from harness.target import Target

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    # Playwright's own browser download fails here: drive Debian's Chromium.
    if os.path.exists(CHROMIUM):
        return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
    return browser_type_launch_args


_phase_key = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    item.stash.setdefault(_phase_key, {})[report.when] = report.outcome
    return report


@pytest.fixture
def browser_errors(page, request: pytest.FixtureRequest, target: Target, evidence) -> list[str]:
    """Uncaught page errors seen during a browser flow; at the end a screenshot (credentials masked) as evidence."""
    errors: list[str] = []  # uncaught page errors: they fail a flow
    console: list[str] = []  # console errors (a missing favicon, say): evidence only
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: console.append(f"{msg.text} ({msg.location.get('url', '')})")
            if msg.type == "error" else None)
    page.set_default_timeout(15_000)
    yield errors
    outcome = request.node.stash.get(_phase_key, {}).get("call", "not run")
    # gonogo's artifacts dir sits next to this run's verdict, so parallel runs and CI shards keep their own.
    settings = gonogo.get_settings(request.config)
    artifacts = settings.artifacts_dir if settings else request.config.rootpath / "reports" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    name = "".join(c if c.isalnum() else "-" for c in request.node.nodeid)[-120:]
    path = artifacts / f"{name}.png"
    # Anything on the page that shows a credential is painted over; a screenshot cannot be redacted later.
    mask = [page.locator("input[type=password]"), page.locator("#email")]
    if target.secrets.get("owner_email"):
        mask.append(page.get_by_text(target.secrets["owner_email"]))
    try:
        page.screenshot(path=str(path), full_page=True, mask=mask, timeout=10_000)
        evidence.attach(path, title=f"screenshot at the end ({outcome}): {page.url}", mime="image/png")
    except Exception as exc:  # noqa: BLE001 - a page that crashed still leaves its errors as evidence
        evidence.note("screenshot unavailable", f"{type(exc).__name__}: {exc}")
    if errors or console:
        evidence.note("browser errors", "\n".join([*errors[:20], *(f"console: {c}" for c in console[:20])]))
    evidence.note("Playwright trace not kept",
                  "a trace records typed input, cookies, storage and network bodies, so it would carry the "
                  "owner's credentials and tokens; the masked screenshot and the errors above are kept instead")
