"""The journal's schema (SQLAlchemy Core): the same tables on SQLite and PostgreSQL.

Times are UTC ISO 8601 text (`2026-11-24T10:00:00.123Z`), so both backends hold and sort them alike. No column
ever holds an env value: the env step records key names only.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
_TIME = sa.String(32)

releases = sa.Table(
    "releases", metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("target", sa.String(200), nullable=False, index=True),
    sa.Column("target_spec", sa.Text, nullable=False),
    sa.Column("sha", sa.String(64), nullable=False),
    sa.Column("tag", sa.String(64)),
    sa.Column("strategy", sa.String(8), nullable=False),
    sa.Column("rollback", sa.String(8), nullable=False),
    sa.Column("options", sa.Text, nullable=False, default="{}"),  # JSON: soak duration, app repo, pytest args
    sa.Column("state", sa.String(16), nullable=False),  # running | held | ended
    sa.Column("verdict", sa.String(16)),  # GO | NO-GO | INCONCLUSIVE (while held) | ABANDONED
    sa.Column("exit_code", sa.Integer),
    sa.Column("reason", sa.Text),
    sa.Column("rolled_back", sa.Text),  # JSON: the rollback of the stage that ended it (mode, actions)
    sa.Column("current_step", sa.String(32)),
    sa.Column("release_dir", sa.Text, nullable=False),
    sa.Column("started_at", _TIME, nullable=False),
    sa.Column("ended_at", _TIME),
    sa.Column("updated_at", _TIME, nullable=False),
)

steps = sa.Table(
    "steps", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(80), sa.ForeignKey("releases.id"), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # running | done | failed | held | interrupted
    sa.Column("outcome", sa.String(32)),
    sa.Column("detail", sa.Text),
    sa.Column("evidence", sa.Text, nullable=False, default="{}"),  # JSON: paths, ids, key names; never a value
    sa.Column("waited_s", sa.Float, nullable=False, default=0.0),  # time spent waiting on a provider
    sa.Column("started_at", _TIME, nullable=False),
    sa.Column("ended_at", _TIME),
    sa.UniqueConstraint("release_id", "name", "attempt"),
)

# A side effect is recorded `intended` before the call and `applied` (with its id) after it, before the step
# says done; `unconfirmed` when its process died between the two and a new attempt of the step read the world
# again instead (docs/runbook.md#release-conductor).
effects = sa.Table(
    "effects", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(80), sa.ForeignKey("releases.id"), nullable=False, index=True),
    sa.Column("step", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("scope", sa.String(64), nullable=False, default=""),  # the service, project or checkout
    sa.Column("subject", sa.String(200), nullable=False),  # migration name, env key, commit, tag
    sa.Column("ref", sa.String(200)),  # deploy id, migration version
    sa.Column("state", sa.String(16), nullable=False),  # intended | applied | unconfirmed
    sa.Column("intended_at", _TIME, nullable=False),
    sa.Column("applied_at", _TIME),
)

# Each process that drove a release (run, resume, abandon): the release's active time is the sum of these.
sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(80), sa.ForeignKey("releases.id"), nullable=False, index=True),
    sa.Column("command", sa.String(16), nullable=False),
    sa.Column("host", sa.String(200), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", _TIME, nullable=False),
    sa.Column("last_seen", _TIME, nullable=False),
    sa.Column("ended_at", _TIME),
)

events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(80), nullable=False, index=True),
    sa.Column("at", _TIME, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),  # hold, resume, takeover, abandon, confirm, ...
    sa.Column("detail", sa.Text, nullable=False, default=""),
)

# One row per target while a process drives a release there (release/lock.py).
locks = sa.Table(
    "locks", metadata,
    sa.Column("target", sa.String(200), primary_key=True),
    sa.Column("release_id", sa.String(80), nullable=False),
    sa.Column("host", sa.String(200), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("pid_start", sa.String(32), nullable=False, default=""),
    sa.Column("since", _TIME, nullable=False),
)
