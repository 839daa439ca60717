"""Section 5 step D.3: auth, chat and feedback endpoints answer, and auth is really enforced."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.smoke, pytest.mark.criterion("api-basics")]


def test_login_returns_a_bearer_token(owner):
    assert owner.token.count(".") == 2, "login did not return a JWT access token"


def test_login_with_a_wrong_password_is_refused(api, target):
    response = api.post("/auth/login", json={"email": target.secret("owner_email"), "password": "not-the-password"})
    assert response.status_code == 401, f"a wrong password got {response.status_code}, not 401"


def test_chat_without_a_token_is_refused(api, owner):
    # DEV_MODE=true in production would let this through.
    response = api.post(f"/twins/{owner.twin_id}/chat", json={"message": "hello"})
    assert response.status_code == 401, f"chat without a token answered {response.status_code}, not 401"


def test_owner_chat_answers(api, owner):
    response = api.post(f"/twins/{owner.twin_id}/chat", json={"message": "What do you do?"}, headers=owner.headers)
    assert response.status_code == 200, f"owner chat answered {response.status_code}: {response.text[:200]}"
    assert response.json().get("answer"), "owner chat returned an empty answer"


def test_feedback_is_stored(api, owner, run_id):
    chat = api.post(f"/twins/{owner.twin_id}/chat", json={"message": "Tell me about your work."}, headers=owner.headers)
    assert chat.status_code == 200, f"chat before feedback answered {chat.status_code}"
    response = api.post("/feedback", headers=owner.headers, json={
        "twin_id": owner.twin_id, "message_id": chat.json().get("message_id"), "rating": 1,
        "comment": "gonogo smoke", "run_id": run_id,
    })
    assert response.status_code == 201, f"POST /feedback answered {response.status_code}: {response.text[:200]}"
    assert response.json().get("event_id"), "POST /feedback returned no event_id"
