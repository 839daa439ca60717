"""A plain run loads only what it needs: notify, the comparison and the HTML renderer stay unimported.

gonogo's import is paid by every pytest run where it is installed (bench/overhead.py), so the modules of a
feature the run does not use are imported inside the functions that use them.
"""

from __future__ import annotations

import pytest

from gonogo import notify, view

LAZY = ("gonogo.notify", "gonogo.compare", "gonogo.measures", "gonogo.history",
        "gonogo.html", "gonogo.html_render", "gonogo.merge")

RUNBOOK = """
[criteria.health]
title = "health"
stage = "smoke"
"""

# Written at the very end of the run, after gonogo's reports: what the whole session imported.
CONFTEST = """
import sys

import pytest


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    loaded = sorted(m for m in sys.modules if m.startswith("gonogo"))
    print("GONOGO-MODULES " + " ".join(loaded))
"""

TESTS = """
import pytest

@pytest.mark.criterion("health")
def test_health(evidence):
    evidence.note("ok")

@pytest.mark.criterion("health")
def test_health_fails():
    assert False, "down"
"""


def _loaded(result: pytest.RunResult) -> set[str]:
    line = next(x for x in result.outlines if x.startswith("GONOGO-MODULES "))
    return set(line.split()[1:])


def test_a_plain_run_imports_no_feature_it_does_not_use(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", runbook=RUNBOOK)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS)
    # In a fresh interpreter: this process has imported everything already.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "-m", "smoke")
    assert result.ret == 1  # the failing test: NO-GO, the verdict was folded and written
    loaded = _loaded(result)
    assert {"gonogo.plugin", "gonogo.recorder", "gonogo.verdict", "gonogo.view"} <= loaded
    assert not loaded & set(LAZY), sorted(loaded & set(LAZY))


def test_a_run_that_measures_loads_the_comparison(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", runbook=RUNBOOK)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke="""
import pytest

@pytest.mark.criterion("health")
def test_rate(evidence):
    evidence.measure("rate", 0.5)
""")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "-m", "smoke")
    assert result.ret == 0
    assert {"gonogo.compare", "gonogo.measures", "gonogo.history"} <= _loaded(result)


def test_the_view_tones_name_notify_statuses() -> None:
    # view.py words deliveries without importing gonogo.notify: its statuses are spelled there once more.
    assert set(view._DELIVERY_TONE) == {notify.SENT, notify.FAILED}
