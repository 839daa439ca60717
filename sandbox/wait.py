"""One bounded wait for the whole sandbox: poll until a condition holds or its deadline passes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(TimeoutError):
    """A wait ran out of time; the message says what was awaited and for how long."""


def wait_for(read: Callable[[], T], until: Callable[[T], object] = bool, *, timeout: float, interval: float,
             message: str | Callable[[T], str] | None = None, error: type[Exception] = WaitTimeout) -> T:
    """Call `read()` every `interval` s until `until(value)` holds (by default: the value is truthy); return it.

    At `timeout` s (read once more at the deadline): raise `error(message)`, where a callable message gets
    the last value; without a message, return the last value instead, for the waits whose timeout is an
    answer (a process that would not stop gets SIGKILL next). An exception from `read` ends the wait at
    once: a process that died needs no more waiting.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if until(value):
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            if message is None:
                return value
            raise error(message(value) if callable(message) else message)
        time.sleep(min(interval, left))
