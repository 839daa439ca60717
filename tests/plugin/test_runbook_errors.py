"""A malformed runbook.toml or a bad option is one line on stderr and exit 4, never a traceback."""

from __future__ import annotations

import pytest

from gonogo import EXIT_USAGE

GOOD = """
[criteria.health]
title = "health"
stage = "smoke"
"""
LIMIT = """
[limits.rate-drop]
measure = "rate"
criterion = "health"
drop_max = 0.02
"""

CASES = {
    "bad-toml": ("[criteria.health\ntitle = 1", "invalid TOML"),
    "unknown-criterion-key": (GOOD + "blokcing = false\n", "[criteria.health] key 'blokcing' is unknown; use one of"),
    "wrong-type-blocking": (GOOD + 'blocking = "yes"\n', "[criteria.health] blocking = 'yes' must be true or false"),
    "wrong-type-go-no-go": (GOOD + "go_no_go = true\n", "go_no_go = True must be an integer"),
    "wrong-type-rollback": (GOOD + 'rollback = "backend"\n', "rollback = 'backend' must be a list of scope names"),
    "unknown-stage": (GOOD.replace('"smoke"', '"canary"'), "stage 'canary' is unknown; use one of predeploy, smoke"),
    "missing-title": ('[criteria.health]\nstage = "smoke"\n', "[criteria.health] misses 'title'"),
    "criteria-not-table": ('criteria = "health"\n', "'criteria' must be a table"),
    "waiver-unknown-criterion": (GOOD + '[[waivers]]\ncriterion = "nope"\nreason = "r"\napproved_by = "a"\n'
                                 "expires = 2030-01-01\n", "criterion 'nope' is not declared; add [criteria.nope]"),
    "waiver-unknown-key": (GOOD + '[[waivers]]\ncriterion = "health"\nreason = "r"\napproved_by = "a"\n'
                           'expires = 2030-01-01\nticket = "X-1"\n', "[[waivers]] #1 key 'ticket' is unknown"),
    "waiver-bad-date": (GOOD + '[[waivers]]\ncriterion = "health"\nreason = "r"\napproved_by = "a"\n'
                        'expires = "soon"\n', "expires = 'soon' must be a TOML date"),
    "waiver-missing-key": (GOOD + '[[waivers]]\ncriterion = "health"\nreason = "r"\nexpires = 2030-01-01\n',
                           "[[waivers]] #1 misses 'approved_by'"),
    "limits-not-table": ('limits = "tight"\n' + GOOD, "'limits' must be a table of [limits.ID] tables"),
    "limit-unknown-key": (GOOD + LIMIT + "drop_maxx = 0.1\n",
                          "[limits.rate-drop] key 'drop_maxx' is unknown; use one of"),
    "limit-missing-measure": (GOOD + LIMIT.replace('measure = "rate"\n', ""),
                              "[limits.rate-drop] misses 'measure'; add measure = \"persona_pass_rate\""),
    "limit-unknown-criterion": (GOOD + LIMIT.replace('criterion = "health"', 'criterion = "nope"'),
                                "[limits.rate-drop] criterion 'nope' is not declared; name the [criteria.ID]"),
    "limit-neither-bound": (GOOD + LIMIT.replace("drop_max = 0.02\n", ""),
                            "[limits.rate-drop] needs exactly one of drop_max or rise_max (has neither)"),
    "limit-both-bounds": (GOOD + LIMIT + "rise_max = 1\n",
                          "needs exactly one of drop_max or rise_max (has drop_max and rise_max)"),
    "limit-negative-bound": (GOOD + LIMIT.replace("0.02", "-1"),
                             "[limits.rate-drop] drop_max = -1 must be a number >= 0, e.g. drop_max = 0.02"),
    "limit-string-bound": (GOOD + LIMIT.replace("0.02", '"2%"'), "drop_max = '2%' must be a number >= 0"),
    "limit-bad-blocking": (GOOD + LIMIT + 'blocking = "yes"\n',
                           "[limits.rate-drop] blocking = 'yes' must be true or false"),
    "limit-criterion-id": (GOOD + LIMIT.replace("[limits.rate-drop]", "[limits.health]"),
                           "[limits.health] has the id of [criteria.health]; give the limit an id of its own"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_runbook_is_one_line_exit_4(pytester: pytest.Pytester, case: str) -> None:
    text, expected = CASES[case]
    pytester.makefile(".toml", runbook=text)
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == EXIT_USAGE
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1, result.stderr.lines
    assert errors[0].startswith("ERROR: gonogo: ") and "runbook.toml" in errors[0]
    assert expected in errors[0]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert not (pytester.path / "reports").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--runbook", "missing.toml"], "ERROR: gonogo: --runbook missing.toml: no such file *missing.toml; "
          "fix the path*"),
        (["--rollback-timeout", "soon"], "ERROR: gonogo: --rollback-timeout = 'soon' is not a number of seconds*"),
        (["--rollback-timeout", "0"], "ERROR: gonogo: --rollback-timeout = '0' is not a number of seconds*"),
    ],
)
def test_bad_option_is_one_line_exit_4(pytester: pytest.Pytester, args: list[str], expected: str) -> None:
    pytester.makefile(".toml", runbook=GOOD)
    result = pytester.runpytest(*args)
    assert result.ret == EXIT_USAGE
    result.stderr.fnmatch_lines([expected])
    assert "Traceback" not in result.stderr.str()


def test_bad_ini_rollback_mode(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", runbook=GOOD)
    pytester.makeini("[pytest]\ngonogo_rollback = always\n")
    result = pytester.runpytest()
    assert result.ret == EXIT_USAGE
    result.stderr.fnmatch_lines(["ERROR: gonogo: ini gonogo_rollback = 'always' is not a rollback mode; use off, "
                                 "plan or auto"])


def test_other_tables_are_accepted_untouched(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", runbook=GOOD + """
[targets.sandbox]
api_url = "http://127.0.0.1:8000"
secret_env = ["RENDER_API_KEY"]

[thresholds]
persona = 0.95
""")
    pytester.makeconftest("""
import gonogo

def pytest_configure(config):
    book = gonogo.get_runbook(config)
    c = book.criteria["health"]
    print("RUNBOOK", c.stage, c.blocking, c.rollback, book.extra["thresholds"]["persona"],
          book.extra["targets"]["sandbox"]["api_url"])
""")
    pytester.makepyfile(test_a="""
import pytest

@pytest.mark.criterion("health")
def test_health():
    pass
""")
    result = pytester.runpytest("-s")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["RUNBOOK smoke True () 0.95 http://127.0.0.1:8000"])


def test_runbook_from_ini_and_custom_verdict_path(pytester: pytest.Pytester) -> None:
    pytester.mkdir("ops")
    (pytester.path / "ops" / "gates.toml").write_text(GOOD)
    pytester.makeini("[pytest]\ngonogo_runbook = ops/gates.toml\ngonogo_verdict_json = out/v.json\n")
    pytester.makepyfile(test_a='import pytest\n\n@pytest.mark.criterion("health")\ndef test_h():\n    pass\n')
    result = pytester.runpytest()
    assert result.ret == 0
    assert (pytester.path / "out" / "v.json").is_file()
    assert not (pytester.path / "reports").exists()


def test_no_runbook_is_inert(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="""
import pytest

@pytest.mark.smoke
def test_a():
    pass

def test_b():
    assert False
""")
    result = pytester.runpytest("--strict-markers")
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1)
    assert "gonogo verdict" not in result.stdout.str() and "gonogo:" not in result.stdout.str()
    assert not (pytester.path / "reports").exists()
    assert pytester.runpytest("-k", "nothing").ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_a_usage_error_from_a_conftest_leaves_no_verdict(pytester: pytest.Pytester) -> None:
    # A project's conftest refusing the run (missing credentials, say) before any test: its one line only.
    pytester.makefile(".toml", runbook=GOOD)
    pytester.makeconftest("""
import pytest

def pytest_collection_finish(session):
    raise pytest.UsageError("--target production: missing secret env var(s) RENDER_API_KEY")
""")
    pytester.makepyfile(test_smoke="""
import pytest

@pytest.mark.smoke
@pytest.mark.criterion("health")
def test_health():
    pass
""")
    result = pytester.runpytest_subprocess("-m", "smoke")
    assert result.ret == EXIT_USAGE
    assert [line for line in result.errlines if line.strip()] == [
        "ERROR: --target production: missing secret env var(s) RENDER_API_KEY"]
    assert not any("gonogo verdict" in line or "NO-GO" in line for line in result.outlines)
    assert not (pytester.path / "reports" / "verdict.json").exists()
