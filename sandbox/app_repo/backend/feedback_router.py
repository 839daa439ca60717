"""Feedback submission: payload validation and the enqueue decision (min events + cooldown)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


class FeedbackError(ValueError):
    """A bad feedback payload; the message names the field."""


@dataclass(frozen=True)
class Feedback:
    twin_id: str
    message_id: str
    rating: int
    comment: str | None = None
    run_id: str | None = None


def parse_feedback(payload: dict) -> Feedback:
    for field in ("twin_id", "message_id"):
        if not str(payload.get(field, "")).strip():
            raise FeedbackError(f"{field} is required")
    rating = payload.get("rating")
    if rating not in (-1, 1) or isinstance(rating, bool):
        raise FeedbackError(f"rating must be -1 or 1, got {rating!r}")
    comment = payload.get("comment")
    if comment is not None and len(str(comment)) > 2000:
        raise FeedbackError("comment is longer than 2000 characters")
    return Feedback(str(payload["twin_id"]), str(payload["message_id"]), rating,
                    None if comment is None else str(comment), payload.get("run_id"))


def should_enqueue(pending_events: int, last_job_at: datetime | None, now: datetime,
                   min_events: int, cooldown_minutes: int) -> bool:
    """Enqueue a learning job at min_events pending events, at most once per cooldown window."""
    if pending_events < min_events:
        return False
    if last_job_at is None:
        return True
    return now - last_job_at >= timedelta(minutes=cooldown_minutes)
