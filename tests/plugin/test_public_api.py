"""gonogo's public API for conftest authors: settings and paths, stages in scope, criterion of an item,
the runbook's other tables, the current test's evidence; and `--option PATH` for a project's own options."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

CONFTEST = """
import json
import gonogo
import pytest

seen = {}

def pytest_collection_modifyitems(config, items):
    seen["criteria"] = sorted({gonogo.criterion_of(i) or "-" for i in items})

def pytest_sessionfinish(session):
    config = session.config
    s = gonogo.get_settings(config)
    out = {"verdict_json": str(s.verdict_json), "summary_md": str(s.summary_md),
           "artifacts_dir": str(s.artifacts_dir), "rollback": s.rollback.value,
           "stages": list(gonogo.selected_stages(config)),
           "extra": gonogo.get_runbook(config).extra["thresholds"], **seen}
    (config.rootpath / "api.json").write_text(json.dumps(out))

@pytest.fixture(scope="session")
def shared_client(pytestconfig):
    # A session-scoped resource: what it sees lands in the evidence of the test using it now.
    return lambda what: gonogo.current_evidence(pytestconfig).note("shared client", what)
"""

TESTS = """
import pytest

@pytest.mark.criterion("health")
def test_health(shared_client):
    shared_client("health seen")

@pytest.mark.criterion(id="frontend")
def test_frontend(shared_client):
    shared_client("frontend seen")

def test_outside():
    pass
"""

RUNBOOK_EXTRA = """
[thresholds]
pickup_s = 10
"""


def _api(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "api.json").read_text())


def test_settings_stages_criteria_and_extra_tables(pytester: pytest.Pytester, runbook, verdict) -> None:
    pytester.makefile(".toml", runbook=runbook + RUNBOOK_EXTRA)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS)
    result = pytester.runpytest("-m", "smoke or soak", "--verdict-json", "out/v.json", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, deselected=1)
    api = _api(pytester)
    assert api["verdict_json"] == str(pytester.path / "out" / "v.json")
    assert api["summary_md"] == str(pytester.path / "out" / "summary.md")
    assert api["artifacts_dir"] == str(pytester.path / "out" / "artifacts")
    assert api["rollback"] == "plan"
    assert api["stages"] == ["smoke", "soak"]
    assert api["extra"] == {"pickup_s": 10}
    # Both marker forms name their criterion; a test without one has none.
    assert api["criteria"] == ["-", "frontend", "health"]
    tests = {t["nodeid"]: t for c in json.loads((pytester.path / "out" / "v.json").read_text())["criteria"]
             for t in c["tests"]}
    notes = {nodeid.split("::")[1]: [e["text"] for e in t["evidence"]] for nodeid, t in tests.items()}
    assert notes == {"test_health": ["health seen"], "test_frontend": ["frontend seen"]}


PHASES_CONFTEST = """
import gonogo
import pytest

def pytest_collection_modifyitems(config, items):
    assert gonogo.current_evidence(config) is None  # no test runs yet: nothing to belong to

@pytest.fixture(scope="session")
def shared(pytestconfig):
    note = lambda what: gonogo.current_evidence(pytestconfig).note("shared client", what)
    note("session setup")
    yield note
    note("session teardown")

@pytest.fixture
def per_test(shared, request):
    shared("setup of " + request.node.name)
    yield shared
    shared("teardown of " + request.node.name)
"""

PHASES_TESTS = """
import pytest

@pytest.mark.criterion("health")
def test_a(per_test):
    per_test("call of test_a")

@pytest.mark.criterion("health")
def test_b(per_test):
    per_test("call of test_b")
"""


def test_what_a_shared_resource_sees_belongs_to_the_test_in_setup_call_or_teardown(
        pytester: pytest.Pytester, runbook) -> None:
    # No hook runs as a test starts (it would be paid by every test): what its setup records is handed to it at its
    # setup report, session fixtures set up for it included; the session's teardown happens in the last test's.
    pytester.makefile(".toml", runbook=runbook)
    pytester.makeconftest(PHASES_CONFTEST)
    pytester.makepyfile(test_smoke=PHASES_TESTS)
    result = pytester.runpytest("-m", "smoke", "--verdict-json", "v.json", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    tests = {t["nodeid"].split("::")[1]: [e["text"] for e in t["evidence"]]
             for c in json.loads((pytester.path / "v.json").read_text())["criteria"] for t in c["tests"]}
    assert tests == {
        "test_a": ["session setup", "setup of test_a", "call of test_a", "teardown of test_a"],
        "test_b": ["setup of test_b", "call of test_b", "teardown of test_b", "session teardown"],
    }


def test_without_m_every_stage_is_in_scope(pytester: pytest.Pytester, runbook) -> None:
    pytester.makefile(".toml", runbook=runbook + RUNBOOK_EXTRA)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_smoke=TESTS)
    pytester.runpytest("-p", "no:cacheprovider")
    assert _api(pytester)["stages"] == ["predeploy", "smoke", "postdeploy", "soak"]


def test_inactive_without_a_runbook(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
import gonogo
def pytest_sessionfinish(session):
    assert gonogo.get_settings(session.config) is None
    assert gonogo.get_runbook(session.config) is None
    assert gonogo.current_evidence(session.config) is None
""")
    pytester.makepyfile("def test_plain(): pass")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_suite_without_a_runbook_loads_only_what_every_run_needs(pytester: pytest.Pytester) -> None:
    # gonogo is loaded by every pytest run where it is installed: without a runbook it registers its options
    # and markers and stops there, without importing the recorder, the runbook's, verdict's or rollback's types.
    pytester.makeconftest("""
import sys
def pytest_sessionfinish(session):
    print("GONOGO-MODULES", " ".join(sorted(m for m in sys.modules if m.startswith("gonogo"))))
""")
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1)
    line = next(line for line in result.outlines if "GONOGO-MODULES" in line)
    assert set(line.split("GONOGO-MODULES")[1].split()) == {
        "gonogo", "gonogo._compat", "gonogo.cmdline", "gonogo.evidence", "gonogo.hookspecs", "gonogo.inconclusive",
        "gonogo.plugin", "gonogo.redact", "gonogo.settings"}


def test_the_stage_markers_are_the_runbook_stages_and_the_lazy_names_resolve() -> None:
    import gonogo
    from gonogo import plugin, rollback, runbook, settings

    assert tuple(plugin._STAGE_HELP) == runbook.STAGES
    assert rollback.RollbackMode is settings.RollbackMode is gonogo.RollbackMode
    assert [m.value for m in settings.RollbackMode] == ["off", "plan", "auto"]
    for name in gonogo.__all__:
        assert getattr(gonogo, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        gonogo.nothing  # noqa: B018


PROJECT_PLUGIN = """
import pytest
def pytest_addoption(parser):
    parser.addoption("--target", default="none")
def pytest_configure(config):
    print("TARGET=" + config.getoption("target"))
"""


@pytest.mark.parametrize("spelling", ["space", "equals"])
def test_a_project_option_given_a_path_outside_the_project(pytester: pytest.Pytester, runbook, tmp_path_factory,
                                                           spelling: str) -> None:
    # The option is declared by a plugin the project's ini loads: pytest would take the path for a test
    # path, root the session there and never read the ini (so never know the option).
    pytester.makeini("[pytest]\naddopts = -p project_plugin\npythonpath = .\ntestpaths = suite\n")
    pytester.makepyfile(project_plugin=PROJECT_PLUGIN)
    pytester.mkdir("suite")
    (pytester.path / "suite" / "test_one.py").write_text(
        'import pytest\n@pytest.mark.criterion("health")\ndef test_one():\n    pass\n')
    outside = tmp_path_factory.mktemp("elsewhere") / "canary.toml"
    outside.write_text("")
    # gonogo's own --verdict-json is unknown too when pytest chooses the rootdir (an installed plugin's).
    verdict_json = outside.with_name("verdict.json")
    verdict_json.write_text("{}")
    if spelling == "space":
        args = ["--target", str(outside), "--verdict-json", str(verdict_json)]
    else:
        args = [f"--target={outside}", f"--verdict-json={verdict_json}"]
    result = pytester.runpytest_subprocess(*args, "-s", "-m", "smoke", "-p", "no:cacheprovider")
    assert result.ret == 7  # INCONCLUSIVE: frontend missing, which says the runbook was found and judged
    result.stdout.fnmatch_lines([f"TARGET={outside}", f"rootdir: {pytester.path}*"])
    assert json.loads(verdict_json.read_text())["stages"] == ["smoke"]


def test_an_unknown_option_outside_a_gonogo_project_is_left_to_pytest(pytester: pytest.Pytester,
                                                                      tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "file.txt"
    outside.write_text("")
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest_subprocess("--nosuch", str(outside), "-p", "no:cacheprovider")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*unrecognized arguments: --nosuch*"])
    assert Path(pytester.path / "reports").exists() is False


def test_no_reexec_when_pytest_runs_inside_another_program(monkeypatch: pytest.MonkeyPatch) -> None:
    # `pytest.main([...])` (or pytester's in-process runs) with a misread `--opt PATH`: the arguments are not this
    # process's, so re-executing it would run the other program again, not pytest.
    from gonogo import cmdline

    monkeypatch.setattr(sys, "orig_argv", ["python", "-m", "outer", "--x"])
    monkeypatch.setattr(sys, "argv", ["outer", "--x"])
    assert cmdline.command_line(["--target=/p"], ["--target", "/p"]) is None
    # The CLI itself: pytest was given this process's own arguments.
    monkeypatch.setattr(sys, "orig_argv", ["python", "-m", "pytest", "--target", "/p"])
    monkeypatch.setattr(sys, "argv", ["pytest", "--target", "/p"])
    assert cmdline.command_line(["--target=/p"], ["--target", "/p"]) == ["python", "-m", "pytest", "--target=/p"]
