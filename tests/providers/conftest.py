"""Fixtures for the provider client tests: a scripted fake provider and a sleep that only records."""

from __future__ import annotations

import pytest
from provider_fakes import FakeProvider


@pytest.fixture
def fake() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def sleeps() -> list[float]:
    """Passed as `sleep=sleeps.append`: tests never really sleep and can assert each wait."""
    return []
