"""Bad input (release/cli.py): one line naming the file or flag, the value and the fix; exit 4; no traceback;
no release in the journal and no provider called (the fake sandbox's providers do not even answer)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from _gitrepo import REPO_ROOT, git

from release.cli import main
from release.journal import Journal


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    return code, err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def journal(tmp_path) -> str:
    return str(tmp_path / "journal.sqlite")


def _no_release(journal: str) -> None:
    opened = Journal.open(journal)
    assert opened.history() == []
    opened.close()


def test_unknown_sha(capsys, fake_sandbox, journal):
    code, err = _run(capsys, "run", "--target", str(fake_sandbox), "--journal", journal, "--sha", "deadbeef", "--yes")
    assert code == 4
    assert "--sha deadbeef: not a commit of the app checkout" in _one_line(err) and "fetch it" in err
    _no_release(journal)


def test_dirty_checkout(capsys, fake_sandbox, journal, app_repo):
    (app_repo / "notes.txt").write_text("wip")
    code, err = _run(capsys, "run", "--target", str(fake_sandbox), "--journal", journal, "--yes")
    assert code == 4 and "has uncommitted changes (1 path(s), e.g. notes.txt); commit or stash them" in _one_line(err)
    _no_release(journal)


def test_unreadable_release_env_file(capsys, fake_sandbox, journal, app_repo):
    git(app_repo, "checkout", "-q", "next")
    (app_repo / "release.env.toml").write_text("[render_api\n")
    git(app_repo, "commit", "-qam", "broken env file")
    sha = git(app_repo, "rev-parse", "HEAD")
    git(app_repo, "checkout", "-q", "main")
    code, err = _run(capsys, "plan", "--target", str(fake_sandbox), "--journal", journal, "--sha", sha)
    line = _one_line(err)
    assert code == 4 and f"release.env.toml at {sha[:12]}: not valid TOML" in line
    assert "fix the file in the release commit" in line


def test_missing_environment_variable_named_by_the_release(capsys, fake_sandbox, journal, app_repo, monkeypatch):
    monkeypatch.delenv("RELEASE_TEST_KEY", raising=False)
    git(app_repo, "checkout", "-q", "next")
    (app_repo / "release.env.toml").write_text('[render_api]\nOPENAI_API_KEY = { env = "RELEASE_TEST_KEY" }\n')
    git(app_repo, "commit", "-qam", "key from the operator")
    git(app_repo, "checkout", "-q", "main")
    code, err = _run(capsys, "run", "--target", str(fake_sandbox), "--journal", journal, "--sha", "next", "--yes")
    assert code == 4 and "$RELEASE_TEST_KEY is not set; export it before the release" in _one_line(err)
    _no_release(journal)


def test_journal_in_a_missing_directory(capsys, fake_sandbox, tmp_path):
    code, err = _run(capsys, "run", "--target", str(fake_sandbox), "--journal", str(tmp_path / "no" / "j.sqlite"),
                     "--yes")
    assert code == 4 and "the directory" in _one_line(err) and "does not exist; create it" in err


def test_postgres_journal_that_does_not_answer(capsys, fake_sandbox):
    code, err = _run(capsys, "status", "--target", str(fake_sandbox), "--journal",
                     "postgresql://release:pw-not-shown@127.0.0.1:9/journal")
    line = _one_line(err)
    assert code == 4 and "PostgreSQL does not answer" in line and "pw-not-shown" not in line


def test_missing_secret_of_a_production_target(capsys, tmp_path, journal, app_repo, monkeypatch):
    for name in ("RENDER_API_KEY", "VERCEL_TOKEN", "SUPABASE_ACCESS_TOKEN", "SUPABASE_DB_URL", "PINECONE_API_KEY",
                 "GONOGO_REDIS_URL", "GONOGO_OWNER_EMAIL", "GONOGO_OWNER_PASSWORD", "GONOGO_SHARE_URL"):
        monkeypatch.delenv(name, raising=False)
    target = tmp_path / "prod-like.toml"
    target.write_text(f'extends = "production"\napp_repo = "{app_repo}"\n')
    code, err = _run(capsys, "run", "--target", str(target), "--journal", journal, "--yes")
    line = _one_line(err)
    assert code == 4 and "missing secret env var(s)" in line and "RENDER_API_KEY" in line and "export them" in line


def test_production_without_a_terminal_and_without_yes_refuses(capsys, tmp_path, journal, app_repo, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    target = tmp_path / "prod-like.toml"
    target.write_text(f'extends = "production"\napp_repo = "{app_repo}"\n')
    code, err = _run(capsys, "run", "--target", str(target), "--journal", journal)
    assert code == 4 and "asks for confirmation before its first side effect" in _one_line(err) and "--yes" in err


def test_unknown_target_and_bad_flags(capsys, journal):
    code, err = _run(capsys, "status", "--target", "staging", "--journal", journal)
    assert (code, "staging" in _one_line(err)) == (4, True)
    code, err = _run(capsys, "run", "--strategy", "ftp", "--journal", journal)
    assert code == 4 and "invalid choice: 'ftp'" in _one_line(err)
    code, err = _run(capsys, "run", "--soak-duration", "-3", "--journal", journal)
    assert code == 4 and "must be more than 0 seconds" in _one_line(err)


def test_resume_with_nothing_in_progress(capsys, fake_sandbox, journal):
    code, err = _run(capsys, "resume", "--target", str(fake_sandbox), "--journal", journal)
    assert code == 4 and "no release in progress on target fake" in _one_line(err)


def test_a_subprocess_prints_one_line_and_no_traceback(fake_sandbox, tmp_path):
    result = subprocess.run([sys.executable, "-m", "release", "run", "--target", str(fake_sandbox), "--sha", "nope",
                             "--journal", str(tmp_path / "j.sqlite"), "--yes"], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 4 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("release: --sha nope: not a commit of the app checkout")
