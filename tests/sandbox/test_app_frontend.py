"""The frontend origin in Chromium: owner flow, owner-flow-broken build, e2e bypass, CORS from the browser."""

from __future__ import annotations

import httpx
import pytest
from conftest import launch_stack

from sandbox import services

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ANSWERED = "s => { const t = document.querySelector(s)?.textContent || ''; return t.length > 3 && t !== '...'; }"


@pytest.fixture(scope="module")
def stack(twin_db, redis_server, tmp_path_factory):
    healthy, broken, bypass = (services.free_port() for _ in range(3))
    origins = f"http://127.0.0.1:{healthy},http://127.0.0.1:{broken}"  # the bypass origin is not allowed
    running = launch_stack(twin_db, redis_server.url, tmp_path_factory.mktemp("front"), worker=False,
                           ALLOWED_ORIGINS=origins)
    running.urls = {
        "healthy": running.add_frontend("healthy", healthy, wait=False),
        "broken": running.add_frontend("broken", broken, build="owner-flow-broken", wait=False),
        "bypass": running.add_frontend("bypass", bypass, extra_env={"NEXT_PUBLIC_E2E_BYPASS_AUTH": "1"}, wait=False),
    }
    for url in running.urls.values():
        services.wait_for_http(url + "/login", timeout=15)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def chromium_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def ui_page(chromium_browser):
    context = chromium_browser.new_context()
    page = context.new_page()
    page.set_default_timeout(8000)
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    yield page
    context.close()


def login(page, base: str, stack) -> None:
    page.goto(base + "/login")
    page.fill("#email", stack.owner_email)
    page.fill("#password", stack.owner_password)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    page.wait_for_selector("li.twin")


def test_healthy_build_login_dashboard_training_simulator_answers(stack, ui_page):
    page = ui_page
    login(page, stack.urls["healthy"], stack)
    page.click("#training-tab-link")
    page.fill("#simulator-input", "Roadmap advice?")
    page.click("#simulator-send")
    page.wait_for_function(ANSWERED, arg="#simulator-answer")
    assert "roadmap" in page.text_content("#simulator-answer")
    assert page.errors == []


def test_owner_flow_broken_build_never_renders_the_simulator(stack, ui_page):
    page = ui_page
    login(page, stack.urls["broken"], stack)  # login and dashboard still work
    page.click("#training-tab-link")
    page.wait_for_selector("li.training-event")  # the tab itself loads its notes
    assert page.locator("#simulator-input").count() == 0
    assert page.locator("#simulator-send").count() == 0
    assert any("TypeError" in e or "undefined" in e for e in page.errors), page.errors


def test_share_page_chats_from_the_browser(stack, ui_page):
    page = ui_page
    page.goto(f"{stack.urls['healthy']}/share/{stack.seeded['share_token']}")
    page.fill("#share-input", "How do you launch?")
    page.click("#share-send")
    page.wait_for_function(ANSWERED, arg="#share-answer")
    answer = page.text_content("#share-answer")
    assert "flag" in answer and "October" not in answer


def test_dashboard_without_session_goes_to_login_unless_e2e_bypass(stack, ui_page):
    page = ui_page
    page.goto(stack.urls["healthy"] + "/dashboard")
    page.wait_for_url("**/login")
    page.goto(stack.urls["bypass"] + "/dashboard")
    page.wait_for_selector("#bypass-banner")
    assert page.url.endswith("/dashboard")
    assert page.text_content("#who") == "e2e-bypass"


def test_browser_login_from_a_foreign_origin_is_blocked_by_cors(stack, ui_page):
    page = ui_page
    # The API itself accepts the credentials; only the browser's CORS check stops this origin.
    assert httpx.post(stack.api_url + "/auth/login", timeout=10, json={
        "email": stack.owner_email, "password": stack.owner_password}).status_code == 200
    page.goto(stack.urls["bypass"] + "/login")
    page.fill("#email", stack.owner_email)
    page.fill("#password", stack.owner_password)
    page.click("button[type=submit]")
    page.wait_for_function("() => document.querySelector('#login-error').textContent.length > 0")
    assert "Failed to fetch" in page.text_content("#login-error")
    assert page.url.endswith("/login")
