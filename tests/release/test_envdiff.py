"""Release step C's arithmetic and its output (release/envdiff.py): the desired env, the diff, names only."""

from __future__ import annotations

import pytest

from release.envdiff import (
    EnvFileError,
    Wanted,
    by_service,
    describe,
    desired_env,
    diff,
    parse_env_file,
    required_missing,
)

BASELINE = {
    "render_required": ["REDIS_URL", "DEV_MODE"], "render_one_of": [["SUPABASE_SERVICE_KEY", "SUPABASE_KEY"]],
    "render_expected": {"DEV_MODE": "false"}, "vercel_required": ["NEXT_PUBLIC_BACKEND_URL"],
    "vercel_forbidden": {"NEXT_PUBLIC_E2E_BYPASS_AUTH": ["0", ""]},
}
FILE = '''
[render_api]
PERSONA_TONE_DEFAULT = "warm"
OPENAI_API_KEY = { env = "RELEASE_TEST_OPENAI" }
LEGACY_FLAG = { remove = true }

[render_worker]

[vercel]
NEXT_PUBLIC_FEATURE = "on"
'''
SECRET = "sk-release-test-value-0001"


def test_parse_reads_literal_env_and_remove():
    parsed = parse_env_file(FILE, "release.env.toml at abc")
    assert parsed["render_api"] == {"PERSONA_TONE_DEFAULT": {"literal": "warm"},
                                    "OPENAI_API_KEY": {"env": "RELEASE_TEST_OPENAI"}, "LEGACY_FLAG": {"remove": True}}
    assert parsed["render_worker"] == {} and parse_env_file(None, "x")["vercel"] == {}


@pytest.mark.parametrize("text, message", [
    ("[render_api\n", r"release.env.toml at abc: not valid TOML .*; fix the file in the release commit"),
    ("[render_db]\nA = 'b'\n", r"unknown table \[render_db\]; use \[render_api\], \[render_worker\], \[vercel\]"),
    ("[vercel]\nA = 3\n", r"\[vercel\] A must be a string, \{ env = \"NAME\" \} or \{ remove = true \}"),
    ("[vercel]\nA = { remove = false }\n", r"\[vercel\] A must be"),
])
def test_a_bad_file_is_one_line_naming_file_and_key(text, message):
    with pytest.raises(EnvFileError, match=message):
        parse_env_file(text, "release.env.toml at abc")


def test_desired_is_the_baseline_with_the_file_over_it():
    wanted = desired_env(BASELINE, parse_env_file(FILE, "f"), {"RELEASE_TEST_OPENAI": SECRET}, "f")
    assert wanted["render_api"]["DEV_MODE"] == Wanted("false", "baseline")
    assert wanted["render_worker"]["DEV_MODE"] == Wanted("false", "baseline")
    assert wanted["render_api"]["OPENAI_API_KEY"].value == SECRET
    assert wanted["render_api"]["OPENAI_API_KEY"].source == "$RELEASE_TEST_OPENAI"
    assert wanted["render_api"]["LEGACY_FLAG"].remove
    assert wanted["vercel"]["NEXT_PUBLIC_E2E_BYPASS_AUTH"].keep == ("0", "")
    assert SECRET not in repr(wanted)


def test_a_variable_the_operator_did_not_export_is_one_line():
    with pytest.raises(EnvFileError, match=r'f: \[render_api\] OPENAI_API_KEY = \{ env = "RELEASE_TEST_OPENAI" \} '
                                           r"but \$RELEASE_TEST_OPENAI is not set; export it before the release"):
        desired_env(BASELINE, parse_env_file(FILE, "f"), {}, "f")


def test_the_diff_writes_only_what_differs_and_says_names_only():
    wanted = desired_env(BASELINE, parse_env_file(FILE, "f"), {"RELEASE_TEST_OPENAI": SECRET}, "f")
    current = {
        "render_api": {"DEV_MODE": "true", "OPENAI_API_KEY": SECRET, "LEGACY_FLAG": "1", "REDIS_URL": "redis://x"},
        "render_worker": {"DEV_MODE": "false"},
        "vercel": {"NEXT_PUBLIC_E2E_BYPASS_AUTH": "1"},
    }
    changes = diff(wanted, current)
    assert [(c.service, c.key, c.action) for c in changes] == [
        ("render_api", "DEV_MODE", "changed"), ("render_api", "LEGACY_FLAG", "removed"),
        ("render_api", "PERSONA_TONE_DEFAULT", "added"), ("vercel", "NEXT_PUBLIC_E2E_BYPASS_AUTH", "removed"),
        ("vercel", "NEXT_PUBLIC_FEATURE", "added")]
    text = describe(changes)
    assert text == ("render_api: added PERSONA_TONE_DEFAULT; changed DEV_MODE; removed LEGACY_FLAG\n"
                    "vercel: added NEXT_PUBLIC_FEATURE; removed NEXT_PUBLIC_E2E_BYPASS_AUTH")
    for value in (SECRET, "warm", "true", "redis://x", "on"):
        assert value not in text and value not in str(by_service(changes))
    # once written, nothing is left to write
    after = {s: dict(v) for s, v in current.items()}
    after["render_api"].update(DEV_MODE="false", PERSONA_TONE_DEFAULT="warm")
    del after["render_api"]["LEGACY_FLAG"]
    after["vercel"] = {"NEXT_PUBLIC_FEATURE": "on"}
    assert diff(wanted, after) == []


def test_an_allowed_value_of_a_forbidden_key_stays_and_an_unreadable_one_goes():
    wanted = desired_env(BASELINE, parse_env_file(None, "f"), {}, "f")
    render = {"render_api": {"DEV_MODE": "false"}, "render_worker": {"DEV_MODE": "false"}}
    assert diff(wanted, {**render, "vercel": {"NEXT_PUBLIC_E2E_BYPASS_AUTH": "0"}}) == []
    [change] = diff(wanted, {**render, "vercel": {"NEXT_PUBLIC_E2E_BYPASS_AUTH": None}})
    assert change.action == "removed"


def test_required_keys_missing_after_the_writes():
    current = {"render_api": {"REDIS_URL": "x", "DEV_MODE": "false", "SUPABASE_KEY": "k"},
               "render_worker": {"DEV_MODE": "false"}, "vercel": {}}
    assert required_missing(BASELINE, current) == [
        ("render_worker", "REDIS_URL"), ("render_worker", "SUPABASE_SERVICE_KEY or SUPABASE_KEY"),
        ("vercel", "NEXT_PUBLIC_BACKEND_URL")]
