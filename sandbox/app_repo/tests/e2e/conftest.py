"""Critical-flow e2e fixtures: Debian's Chromium through Playwright's sync API (no browser download)."""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass

import pytest

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
UI_TIMEOUT_MS = 8000


@dataclass(frozen=True)
class Target:
    frontend_url: str
    api_url: str
    owner_email: str
    owner_password: str


def _env(*names: str) -> str:
    for name in names:
        if os.environ.get(name, "").strip():
            return os.environ[name].strip().rstrip("/")
    pytest.fail(f"env {names[0]} is not set; point it at the deployment under test", pytrace=False)


@pytest.fixture(scope="session")
def target() -> Target:
    return Target(_env("E2E_FRONTEND_URL"), _env("E2E_API_URL", "PERSONA_API_URL"),
                  _env("E2E_OWNER_EMAIL", "PERSONA_OWNER_EMAIL"), _env("E2E_OWNER_PASSWORD", "PERSONA_OWNER_PASSWORD"))


def api_call(target: Target, method: str, path: str, body: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(target.api_url + path, method=method, headers=headers,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="session")
def api(target: Target):
    """`api(method, path, body=None, token=None)` against E2E_API_URL."""
    return lambda method, path, body=None, token=None: api_call(target, method, path, body, token)


@pytest.fixture(scope="session")
def owner_token(target: Target) -> str:
    return api_call(target, "POST", "/auth/login", {"email": target.owner_email,
                                                    "password": target.owner_password})["access_token"]


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def e2e_page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.js_errors = []
    page.on("pageerror", lambda err: page.js_errors.append(str(err)))
    yield page
    context.close()
