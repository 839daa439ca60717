"""Critical flow: login -> dashboard -> training tab -> add a note -> the simulator answers with it."""

from __future__ import annotations

import uuid


def _answer(page, selector: str) -> str:
    page.wait_for_function(
        "sel => { const t = document.querySelector(sel)?.textContent || ''; return t.length > 3 && t !== '...'; }",
        arg=selector)
    return page.text_content(selector)


def test_owner_trains_the_twin_and_the_simulator_answers(target, e2e_page):
    page = e2e_page
    page.goto(target.frontend_url + "/login")
    page.fill("#email", target.owner_email)
    page.fill("#password", target.owner_password)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    page.wait_for_selector("li.twin")
    page.click("#training-tab-link")
    page.wait_for_url("**/dashboard/training**")
    note = f"e2e training note {uuid.uuid4().hex[:8]}"
    page.fill("#training-input", note)
    page.click("#training-add")
    page.wait_for_selector(f"li.training-event:has-text('{note}')")
    page.wait_for_selector("#simulator-input")  # the simulator must render
    page.fill("#simulator-input", "How should I plan the roadmap?")
    page.click("#simulator-send")
    answer = _answer(page, "#simulator-answer")
    assert note in answer, answer
    assert page.js_errors == []
