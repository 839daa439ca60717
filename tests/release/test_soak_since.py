"""--soak-since (harness/fixtures.py): a resumed release's soak opens its window at the recorded time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness.fixtures import parse_soak_since, soak_window_for


def test_parse_soak_since_reads_z_offsets_and_naive_times_as_utc():
    assert parse_soak_since("2026-11-24T10:00:00Z") == datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert parse_soak_since("2026-11-24T11:00:00+01:00") == datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert parse_soak_since("2026-11-24T10:00:00") == datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert parse_soak_since(None) is None


def test_a_bad_soak_since_is_a_usage_error_naming_the_flag():
    with pytest.raises(pytest.UsageError, match=r"--soak-since 'yesterday' is not an ISO 8601 time"):
        parse_soak_since("yesterday")


def test_the_window_ends_when_it_would_have_and_reads_the_logs_since_then():
    now = datetime.now(UTC)
    since, deployed = now - timedelta(seconds=15), now - timedelta(seconds=30)
    window = soak_window_for([deployed], duration=20, poll_interval=30, since=since)
    assert window.observe_from == since and window.end == since + timedelta(seconds=20)
    assert window.start == deployed
    # a deploy that finished after the recorded opening (none should) never hides the logs since then
    later = soak_window_for([now], duration=20, poll_interval=30, since=since)
    assert later.start == since


def test_a_window_already_over_checks_once_and_stops():
    since = datetime.now(UTC) - timedelta(seconds=60)
    window = soak_window_for([since - timedelta(seconds=5)], duration=20, poll_interval=30, since=since)
    window.sleep = lambda s: pytest.fail("an ended window must not sleep")
    assert len(list(window.ticks())) == 1


def test_without_since_the_window_opens_now():
    window = soak_window_for([], duration=20, poll_interval=30)
    assert abs((window.observe_from - datetime.now(UTC)).total_seconds()) < 5
    assert window.interval == 5.0
