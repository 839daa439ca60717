"""The deadline-bounded poll loop and the soak window's ticks, on a fake clock (no real waiting)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness.poll import Timeout, poll
from harness.soak import SoakWindow


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


def test_poll_returns_the_first_value_that_is_done():
    clock, values = FakeClock(), iter(["build_in_progress", "update_in_progress", "live"])
    assert poll(lambda: next(values), lambda v: v == "live", timeout=10, interval=1,
                sleep=clock.sleep, clock=clock) == "live"
    assert clock.t == 2


def test_poll_gives_up_at_the_deadline_saying_what_it_last_saw():
    clock = FakeClock()
    with pytest.raises(Timeout, match=r"deploy to go live did not happen within 5 s; last seen: 'queued'"):
        poll(lambda: "queued", lambda v: False, timeout=5, interval=2, what="deploy to go live",
             sleep=clock.sleep, clock=clock)
    assert clock.t == 5


def test_soak_window_ticks_until_its_end():
    start = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    now = [start]
    window = SoakWindow(start=start, duration=10, interval=4, observe_from=start, clock=lambda: now[0],
                        sleep=lambda s: now.__setitem__(0, now[0] + timedelta(seconds=s)))
    ticks = [(t - start).total_seconds() for t in window.ticks()]
    assert ticks == [0, 4, 8, 10]
    assert window.elapsed(now[0]) == 10
