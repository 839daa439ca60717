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
    page.wait_for_url("**/dashboard", timeout=15_000)
    expect(page.locator("body")).to_contain_text("Twin", timeout=10_000)

    page.click("a[href='/dashboard/training']")
    page.wait_for_url("**/dashboard/training", timeout=15_000)
    simulator = page.locator("#simulator-input")
    expect(simulator).to_be_visible(timeout=10_000)
    simulator.fill("What would you tell a new customer?")
    page.click("#simulator-send")
    expect(page.locator("#simulator-answer")).not_to_be_empty(timeout=15_000)
    assert not browser_errors, f"the page raised errors: {browser_errors[:3]}"
