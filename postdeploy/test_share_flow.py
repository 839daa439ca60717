"""Section 5 step F.2: the public share URL chats, and nothing it does writes training data."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.postdeploy, pytest.mark.criterion("share-flow")]


def test_share_page_opens(frontend, share):
    response = frontend.get(share.url)
    assert response.status_code == 200, f"GET {share.url} answered {response.status_code}"
    assert "<html" in response.text.lower(), "the share URL did not serve a page"


def test_share_chat_answers_without_training_writes(api, share, database):
    before = database.training_rows(share.token)
    response = api.post(f"/public/share/{share.token}/chat", json={"message": "What do you work on?"})
    assert response.status_code == 200, f"share chat answered {response.status_code}: {response.text[:200]}"
    assert response.json().get("answer"), "share chat returned an empty answer"
    written = database.training_rows(share.token) - before
    assert not written, f"the public share chat wrote {len(written)} training row(s): {sorted(written)[:3]}"
