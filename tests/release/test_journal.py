"""The journal (release/journal.py) and the target lock (release/lock.py), on SQLite and a real PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import sqlalchemy as sa

from release.journal import Journal, JournalError, iso, locks
from release.lock import LockHeld, TargetLock, holder_alive, process_start


def _release(journal: Journal, rid: str = "rel-1", target: str = "sandbox") -> None:
    journal.create_release(id=rid, target=target, target_spec=target, sha="a" * 40, tag=None, strategy="api",
                           rollback="auto", options={"soak_duration": 20}, release_dir=f"/tmp/{rid}")


def test_release_steps_effects_round_trip(journal_spec):
    journal = Journal.open(journal_spec)
    _release(journal)
    assert journal.in_progress("sandbox").id == "rel-1" and journal.in_progress("production") is None
    journal.start_session("rel-1", "run")
    step = journal.start_step("rel-1", 3, "migrations")
    effect = journal.intend("rel-1", "migrations", "migration_applied", "persona_tone_setting", scope="supabase")
    journal.applied(effect, ref="20251124100000")
    step = journal.end_step(step, "done", "done", "1 applied", evidence={"applied": ["persona_tone_setting"]},
                            waited_s=0.5)
    assert (step.state, step.attempt, step.evidence, step.waited_s) == ("done", 1, {"applied": [
        "persona_tone_setting"]}, 0.5)
    assert step.duration_s is not None and step.duration_s >= 0
    [applied] = journal.effects("rel-1", kinds=["migration_applied"])
    assert (applied.state, applied.ref, applied.subject) == ("applied", "20251124100000", "persona_tone_setting")
    journal.update_release("rel-1", state="ended", verdict="GO", exit_code=0, ended_at=iso(),
                           rolled_back={"mode": "auto", "actions": []})
    release = journal.release("rel-1")
    assert (release.state, release.verdict, release.rolled_back["mode"], release.options) == (
        "ended", "GO", "auto", {"soak_duration": 20})
    assert journal.in_progress("sandbox") is None
    journal.end_session()
    [session] = journal.sessions("rel-1")
    assert session["pid"] == os.getpid() and session["ended_at"]
    journal.close()


def test_a_second_attempt_marks_the_interrupted_one(journal_spec):
    journal = Journal.open(journal_spec)
    _release(journal)
    journal.start_step("rel-1", 8, "soak")
    second = journal.start_step("rel-1", 8, "soak")
    attempts = [(s.attempt, s.state) for s in journal.steps("rel-1")]
    assert attempts == [(1, "interrupted"), (2, "running")] and second.attempt == 2
    assert journal.step("rel-1", "soak").attempt == 2
    journal.close()


def test_history_newest_first_and_events(journal_spec):
    journal = Journal.open(journal_spec)
    _release(journal, "rel-1")
    journal.update_release("rel-1", state="ended", verdict="NO-GO")
    _release(journal, "rel-2")
    journal.event("rel-2", "takeover", "pid 1 gone")
    assert [r.id for r in journal.history("sandbox")] == ["rel-2", "rel-1"]
    assert [e["kind"] for e in journal.events("rel-2")] == ["takeover"]
    journal.close()


def test_the_schema_is_the_same_on_both_backends(journal_spec):
    journal = Journal.open(journal_spec)
    names = set(sa.inspect(journal.engine).get_table_names())
    assert {"releases", "steps", "effects", "sessions", "events", "locks"} <= names
    journal.close()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_lock_is_exclusive_and_released(journal_spec):
    journal = Journal.open(journal_spec)
    first = TargetLock(journal, "sandbox")
    assert first.acquire("rel-1") is None
    other = Journal.open(journal_spec)
    if not journal.is_postgres:
        # same process: make the row look like another live process's (this test's parent is alive)
        with journal.engine.begin() as conn:
            conn.execute(locks.update().values(pid=os.getppid(), pid_start=process_start(os.getppid())))
    with pytest.raises(LockHeld) as held:
        TargetLock(other, "sandbox").acquire("rel-2")
    assert held.value.holder.release_id == "rel-1"
    assert TargetLock(other, "production").acquire("rel-3") is None  # one lock per target
    if not journal.is_postgres:
        with journal.engine.begin() as conn:
            conn.execute(locks.update().where(locks.c.target == "sandbox").values(pid=os.getpid(),
                                                                                 pid_start=process_start(os.getpid())))
    first.release()
    assert TargetLock(other, "sandbox").acquire("rel-2") is None
    journal.close()
    other.close()


def test_a_dead_holder_is_taken_over(journal_spec):
    journal = Journal.open(journal_spec)
    if journal.is_postgres:
        # the holder's session goes away (its process died): the server frees the advisory lock
        dead = TargetLock(Journal.open(journal_spec), "sandbox")
        dead.acquire("rel-1")
        dead._pg.invalidate()  # the DBAPI connection itself closes, as when its process dies
    else:
        with journal.engine.begin() as conn:
            conn.execute(locks.insert().values(target="sandbox", release_id="rel-1", host=socket.gethostname(),
                                               pid=_dead_pid(), pid_start="1", since=iso()))
    lock = TargetLock(journal, "sandbox")
    previous = lock.acquire("rel-1")
    assert previous is not None and previous.release_id == "rel-1"
    assert lock.holder().pid == os.getpid()
    lock.release()
    assert lock.holder() is None
    journal.close()


def test_holder_alive_knows_dead_reused_and_foreign_pids():
    from release.lock import Holder

    me = Holder("t", "r", socket.gethostname(), os.getpid(), process_start(os.getpid()), iso())
    assert holder_alive(me) is True
    assert holder_alive(Holder("t", "r", socket.gethostname(), _dead_pid(), "", iso())) is False
    assert holder_alive(Holder("t", "r", socket.gethostname(), os.getpid(), "12", iso())) is False  # pid reused
    assert holder_alive(Holder("t", "r", "elsewhere.example", 1, "", iso())) is None


def test_a_journal_in_a_missing_directory_is_one_line(tmp_path):
    with pytest.raises(JournalError, match=r"--journal .*nope/j.sqlite: the directory .*nope does not exist; "
                                           r"create it or give another path"):
        Journal.open(str(tmp_path / "nope" / "j.sqlite"))


def test_a_postgres_url_that_does_not_answer_is_one_line_without_the_password():
    with pytest.raises(JournalError) as error:
        Journal.open("postgresql://release:s3cretpass@127.0.0.1:9/journal")
    message = str(error.value)
    assert "PostgreSQL does not answer" in message and "start it or fix the URL" in message
    assert "s3cretpass" not in message and "\n" not in message
