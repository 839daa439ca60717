"""Section 5 step F.1 in a real browser: login -> dashboard -> training tab -> simulator answers."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.postdeploy, pytest.mark.criterion("owner-flow")]


def test_owner_logs_in_and_the_simulator_answers(page, target, browser_errors):
    page.goto(f"{target.frontend_url}/login")
    page.fill("#email", target.secret("owner_email"))
    page.fill("#password", target.secret("owner_password"))
    page.click("button[type=submit]")
    expect(page, "login did not lead to the dashboard").to_have_url(f"{target.frontend_url}/dashboard", timeout=15_000)
    expect(page.locator("body"), "the dashboard lists no twin").to_contain_text("Twin", timeout=10_000)

    page.click("a[href='/dashboard/training']")
    expect(page, "the training tab did not open").to_have_url(f"{target.frontend_url}/dashboard/training",
                                                              timeout=15_000)
    simulator = page.locator("#simulator-input")
    expect(simulator, f"the training tab shows no simulator (page errors: {browser_errors[:2]})").to_be_visible(
        timeout=10_000)
    simulator.fill("What would you tell a new customer?")
    page.click("#simulator-send")
    expect(page.locator("#simulator-answer"), "the simulator gave no answer").not_to_be_empty(timeout=15_000)
    assert not browser_errors, f"the page raised errors: {browser_errors[:3]}"
