"""The app checkout read with git (release/checkout.py): migrations at a commit, pending ones, tags, worktree."""

from __future__ import annotations

from _gitrepo import git

from gonogo_providers.supabase import Migration
from release.checkout import Checkout, is_listed, pending_migrations


def test_migration_files_are_read_at_the_commit_without_switching(app_repo):
    checkout = Checkout(app_repo)
    next_sha = checkout.resolve("next")
    names = [f.name for f in checkout.migration_files(next_sha)]
    assert names == ["persona_tone_setting", "phase7_feedback_learning_loop", "add_feedback_learning_job_type"]
    assert [f.name for f in checkout.migration_files(checkout.head())] == names[1:]
    assert checkout.show(next_sha, "release.env.toml").startswith("[render_api]\nPERSONA_TONE_DEFAULT")
    assert checkout.show(next_sha, "nope.toml") is None
    assert git(app_repo, "rev-parse", "--abbrev-ref", "HEAD") == "main" and checkout.dirty() == []


def test_pending_is_what_the_list_lacks_by_version_and_by_name(app_repo):
    checkout = Checkout(app_repo)
    files = checkout.migration_files(checkout.resolve("next"))
    remote = [Migration("20260915093000", "phase7_feedback_learning_loop"),
              # applied through the API: Supabase gave it its own version, the name still matches
              Migration("20261129120000", "add_feedback_learning_job_type")]
    assert [f.name for f in pending_migrations(files, remote)] == ["persona_tone_setting"]
    remote.append(Migration("20261129130000", "persona_tone_setting"))
    assert pending_migrations(files, remote) == [] and all(is_listed(f, remote) for f in files)
    assert [f.name for f in pending_migrations(files, [Migration("20251124100000", None)])] == [
        "phase7_feedback_learning_loop", "add_feedback_learning_job_type"]


def test_unknown_commits_dirty_trees_tags_and_worktrees(app_repo, tmp_path):
    checkout = Checkout(app_repo)
    assert checkout.resolve("0" * 40) is None and checkout.resolve("no-such-ref") is None
    (app_repo / "scratch.txt").write_text("x")
    assert checkout.dirty() == ["scratch.txt"]
    sha = checkout.resolve("next")
    checkout.create_tag("release-20261129-1200", sha)
    assert checkout.tags_at(sha) == ["release-20261129-1200"] and checkout.tag_commit("release-20261129-1200") == sha
    where = checkout.worktree(sha, tmp_path / "wt")
    assert Checkout(where).head() == sha and checkout.worktree(sha, where) == where
    checkout.remove_worktree(where)
    assert not where.exists()


def test_a_tag_name_taken_by_another_commit_moves_to_the_next_free_minute(app_repo):
    from release.steps.tag import free_tag

    checkout = Checkout(app_repo)
    checkout.create_tag("release-20261129-2359", checkout.resolve("main"))
    assert free_tag(checkout, "release-20261129-2358") == "release-20261129-2358"
    assert free_tag(checkout, "release-20261129-2359") == "release-20261130-0000"
