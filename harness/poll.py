"""Waiting for eventual consistency with a deadline: a deploy going live, an alias switching back."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Timeout(Exception):
    """The condition did not hold before the deadline; the message says what was last seen."""


def poll(
    read: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float,
    interval: float = 1.0,
    what: str = "condition",
    describe: Callable[[T], str] = repr,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call `read` until `done(value)` or `timeout` seconds pass; return the last value or raise Timeout.

    A `read` that raises ends the wait at once: a provider error is evidence, not something to retry
    here (the clients already retry what is worth retrying).
    """
    deadline = clock() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if clock() >= deadline:
            raise Timeout(f"{what} did not happen within {timeout:g} s; last seen: {describe(value)}")
        sleep(min(interval, max(0.0, deadline - clock())))
