from datetime import UTC, datetime, timedelta

import pytest
from backend.feedback_router import FeedbackError, parse_feedback, should_enqueue

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_valid_feedback_is_parsed():
    fb = parse_feedback({"twin_id": "t1", "message_id": "m1", "rating": -1, "comment": "too long", "run_id": "r"})
    assert (fb.twin_id, fb.message_id, fb.rating, fb.comment, fb.run_id) == ("t1", "m1", -1, "too long", "r")


@pytest.mark.parametrize("payload, field", [
    ({"message_id": "m", "rating": 1}, "twin_id"),
    ({"twin_id": "t", "rating": 1}, "message_id"),
    ({"twin_id": "t", "message_id": "m", "rating": 0}, "rating"),
    ({"twin_id": "t", "message_id": "m", "rating": True}, "rating"),
    ({"twin_id": "t", "message_id": "m", "rating": 1, "comment": "x" * 2001}, "comment"),
])
def test_bad_feedback_names_the_field(payload, field):
    with pytest.raises(FeedbackError, match=field):
        parse_feedback(payload)


def test_enqueue_needs_min_events():
    assert not should_enqueue(4, None, NOW, min_events=5, cooldown_minutes=30)
    assert should_enqueue(5, None, NOW, min_events=5, cooldown_minutes=30)


def test_enqueue_respects_cooldown():
    assert not should_enqueue(9, NOW - timedelta(minutes=29), NOW, min_events=5, cooldown_minutes=30)
    assert should_enqueue(9, NOW - timedelta(minutes=30), NOW, min_events=5, cooldown_minutes=30)
