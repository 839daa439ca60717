"""Fold a batch of feedback events into persona adjustments (what a learning job produces)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Adjustment:
    score: float            # mean rating in [-1, 1]
    events: int
    themes: tuple[str, ...]  # most frequent words of negative comments
    publish: bool            # only with auto-publish on and a passing regression gate


STOP = {"the", "a", "an", "and", "or", "to", "is", "it", "was", "too", "of", "in", "on", "for", "this", "that"}


def learn(events: list[dict], auto_publish: bool = False, regression_gate_passed: bool = True) -> Adjustment:
    if not events:
        return Adjustment(0.0, 0, (), False)
    score = sum(e["rating"] for e in events) / len(events)
    words = Counter(
        w for e in events if e["rating"] < 0 and e.get("comment")
        for w in e["comment"].lower().replace(",", " ").replace(".", " ").split() if w not in STOP
    )
    themes = tuple(w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
    return Adjustment(round(score, 3), len(events), themes, auto_publish and regression_gate_passed)
