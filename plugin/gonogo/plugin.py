"""pytest wiring for gonogo: options, markers, the runbook, and the per-session recorder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

# Only what every pytest run needs (gonogo is loaded wherever it is installed): the rest (the recorder, the
# runbook's types, the verdict, its views and writers) is imported once a runbook makes gonogo active, so a
# suite without one pays little more than its options.
from gonogo import cmdline, hookspecs
from gonogo._compat import ask_for_report, report_option
from gonogo.evidence import Evidence, evidence  # noqa: F401 - the fixture, registered here
from gonogo.settings import add_options, resolve

if TYPE_CHECKING:
    from gonogo.recorder import GonogoSession  # noqa: F401 - recorder_key's type
    from gonogo.runbook import Runbook
    from gonogo.settings import Settings

runbook_key = pytest.StashKey["Runbook"]()
settings_key = pytest.StashKey["Settings"]()
recorder_key = pytest.StashKey["GonogoSession"]()

# Every stage of gonogo.runbook.STAGES, in its order (tests/plugin/test_public_api.py checks they agree).
_STAGE_HELP = {
    "predeploy": "gate before the cutover (code gates, config, env baseline, data plane)",
    "smoke": "check right after the deploy",
    "postdeploy": "end-to-end flow after the deploy",
    "soak": "watch over a window after the deploy",
}


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser) -> Any:
    # Outermost, so it runs before pytest starts capturing the terminal (see gonogo.cmdline).
    fixed = cmdline.joined_option_values(early_config, parser)
    if fixed is not None:
        cmdline.reexec(fixed, early_config.invocation_params.args)
    return (yield)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


# tryfirst: the reports gonogo writes by default (ini gonogo_reports) are asked for before junitxml's and
# pytest-html's own pytest_configure read their options.
@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for stage, text in _STAGE_HELP.items():
        config.addinivalue_line("markers", f"{stage}: gonogo stage: {text}")
    config.addinivalue_line("markers", "criterion(ID): gonogo: the runbook.toml criterion this test proves")
    runbook = get_runbook(config)
    if runbook is None:
        return  # No runbook: inert, so installing gonogo never changes someone else's suite.
    from gonogo import announce, markdown
    from gonogo.recorder import GonogoSession  # noqa: F401 - recorder_key's type
    from gonogo.scrub import OutputScrubber

    settings = config.stash[settings_key]
    if not hasattr(config, "workerinput") and not config.option.collectonly:
        # Destinations are checked before anything is written: a bad one is a usage error, no report of it.
        announce.configure(config, settings, runbook)
        # Written by the controller only, and not for a listing (--collect-only): no run, no verdict, no report.
        for kind in settings.defaulted:
            ask_for_report(config, kind, str(settings.html_report if kind == "html" else settings.junit_xml))
    recorder = GonogoSession(config, settings, runbook)
    config.stash[recorder_key] = recorder
    config.pluginmanager.register(recorder, "gonogo-session")
    config.pluginmanager.register(OutputScrubber(config), "gonogo-scrub")
    if hasattr(config, "workerinput"):
        return  # Reports are written by the controller only.
    config.pluginmanager.register(markdown.MarkdownSummary(recorder), "gonogo-markdown")
    # pytest-html is registered whenever it is installed; it writes a report only with --html.
    if config.pluginmanager.hasplugin("html") and report_option(config, "html"):
        from gonogo import html

        config.pluginmanager.register(html.HtmlSummary(recorder), "gonogo-html")


def pytest_unconfigure(config: pytest.Config) -> None:
    recorder = config.stash.get(recorder_key, None)
    if recorder is not None:
        from gonogo import announce

        for name in ("gonogo-html", "gonogo-markdown", "gonogo-scrub", "gonogo-inconclusive", "gonogo-worker-reports",
                     announce.PLUGIN_NAME, "gonogo-session"):
            plugin = config.pluginmanager.get_plugin(name)
            if plugin is not None:
                config.pluginmanager.unregister(plugin)
        del config.stash[recorder_key]


def pytest_report_header(config: pytest.Config) -> str | list[str] | None:
    runbook = config.stash.get(runbook_key, None)
    settings = config.stash.get(settings_key, None)
    if runbook is None or settings is None:
        return None
    line = (f"gonogo: {runbook.path} ({len(runbook.criteria)} criteria, {len(runbook.waivers)} waivers), "
            f"rollback={settings.rollback.value}, verdict -> {settings.verdict_json}")
    from gonogo import announce

    notify = announce.header(config)
    return line if notify is None else [line, notify]


def get_runbook(config: pytest.Config) -> Runbook | None:
    """The parsed runbook.toml of this session, or None when gonogo is inactive (no runbook).

    Loaded (and validated) on first use, so a conftest's own pytest_configure may already call it.
    """
    if settings_key not in config.stash:
        settings = resolve(config)
        config.stash[settings_key] = settings
        if settings.runbook_path is not None:
            from gonogo.runbook import RunbookError, load_runbook

            try:
                config.stash[runbook_key] = load_runbook(settings.runbook_path)
            except RunbookError as exc:
                raise pytest.UsageError(f"gonogo: {exc}") from None
    return config.stash.get(runbook_key, None)


def get_settings(config: pytest.Config) -> Settings | None:
    """gonogo's resolved settings (rollback mode and timeout, every output path), or None when inactive."""
    return config.stash.get(settings_key, None) if get_runbook(config) is not None else None


def selected_stages(config: pytest.Config) -> tuple[str, ...]:
    """The stages in scope of this run: those `-m` selects (every stage without `-m`), as the verdict sees them."""
    from gonogo.recorder import selected_stages as recorder_selected_stages

    return recorder_selected_stages(config.option.markexpr or "")


def criterion_of(item: pytest.Item) -> str | None:
    """The criterion an item proves: `criterion("ID")` or `criterion(id="ID")`, or None.

    After collection it is the ID gonogo bound (a declared one); before, what the marker names.
    """
    from gonogo.recorder import criterion_key, marked_criterion

    bound = item.stash.get(criterion_key, None)
    if bound is not None:
        return bound
    cid = marked_criterion(item)
    return cid if isinstance(cid, str) else None


def current_evidence(config: pytest.Config) -> Evidence | None:
    """The evidence of the test running now (setup to teardown), or None before the tests start or when inactive.

    For session-scoped resources (an HTTP client shared by many tests) that record what they see in the
    evidence of whichever test is using them. What is recorded while a test is set up (its fixtures, session
    ones included) is that test's; what is recorded after the last test's teardown is kept by none.
    """
    recorder = config.stash.get(recorder_key, None)
    records = recorder.current_records() if recorder is not None else None
    if records is None:
        return None
    return Evidence(config, records)
