"""The soak window: from the live deploy's finish to the end of the observation, polled at an interval."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SoakWindow:
    """Errors count from `start` (the deploy going live); observation goes on for `duration` seconds."""

    start: datetime
    duration: float
    interval: float
    observe_from: datetime = field(default_factory=utcnow)
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep

    @property
    def end(self) -> datetime:
        return self.observe_from + timedelta(seconds=self.duration)

    def now(self) -> datetime:
        return self.clock()

    def elapsed(self, now: datetime) -> float:
        return min(self.duration, (now - self.observe_from).total_seconds())

    def remaining(self, now: datetime) -> float:
        """Seconds of observation left at `now` (0 once the window has ended)."""
        return max(0.0, (self.end - now).total_seconds())

    def ticks(self) -> Iterator[datetime]:
        """Yield `now` at every interval until the window ends; the last tick is at (or after) the end."""
        while True:
            now = self.clock()
            yield now
            remaining = (self.end - now).total_seconds()
            if remaining <= 0:
                return
            self.sleep(min(self.interval, remaining))
