"""How a fault arrives and how it is undone: one small class per kind of change an operator makes.

A switch names the service it hits, says in one line how it arrives (what `python -m sandbox faults`
lists), applies itself through the Operator (provider API calls and SQL, `sandbox/operator.py`) and names
the baseline that undoes it. `fault --clear` restores every baseline of the registry: each reads the world,
changes only what differs from the healthy state, and says what it changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sandbox.config import CONTROL_PLANE_FLAGS, NODE_VERSION

if TYPE_CHECKING:
    from sandbox.operator import Operator

LABELS = {"api": "Render API", "worker": "Render worker", "frontend": "Vercel"}


class FaultError(RuntimeError):
    """A fault could not be applied or cleared; the message says which call failed."""


def expect(what: str, got: str, want: str) -> None:
    if got != want:
        raise FaultError(f"{what} ended {got}, expected {want}")


# -- baselines: what `fault --clear` restores ---------------------------------------------------------
Redeploy = tuple[str, Callable[[], None]]


@dataclass(frozen=True)
class Undone:
    """What a baseline changed at once, and the redeploys it still needs (`--clear` runs them in parallel)."""

    done: tuple[str, ...] = ()
    redeploys: tuple[Redeploy, ...] = ()


@dataclass(frozen=True)
class RenderBaseline:
    """A Render service running (resumed), auto-deploying, its env back to the baseline (one PUT of the
    list) and `release_sha` live."""

    service: str

    def restore(self, op: Operator, saved: dict) -> Undone:
        role, c, done = self.service, op.c, []
        service = op.render_service(role)
        if service["suspended"] != "not_suspended":
            op.resume(role)
            done.append(f"render {role}: resumed")
        if service["autoDeploy"] != "yes":
            op.auto_deploy(role, "yes")
            done.append(f"render {role}: autoDeploy yes")
        baseline = c.render_env(role)
        env_changed = op.render_env(role) != baseline
        if env_changed:
            op.replace_env(role, baseline)
        newest = op.newest_deploy(role)
        if not env_changed and newest["status"] == "live" and newest["commit"]["id"] == c.head_sha:
            return Undone(tuple(done))
        return Undone(tuple(done), ((f"render {role}: baseline redeployed",
                                     lambda: expect(f"{role} deploy", op.deploy(role, c.head_sha), "live")),))


@dataclass(frozen=True)
class VercelBaseline:
    """The Vercel project's Node version and env back to the baseline, `release_sha` in production (aliased)."""

    def restore(self, op: Operator, saved: dict) -> Undone:
        c, done = op.c, []
        project = op.vercel_project()
        if project["nodeVersion"] != NODE_VERSION:
            op.node_version(NODE_VERSION)
            done.append(f"vercel: nodeVersion {NODE_VERSION}")
        baseline = c.vercel_env()
        stray = [e for e in op.vercel_envs() if e["key"] not in baseline]
        for e in stray:
            op.delete_vercel_env(e["id"])
        production = project.get("targets", {}).get("production") or {}
        newest = next(iter(project.get("latestDeployments") or []), {})
        if not stray and production.get("meta", {}).get("githubCommitSha") == c.head_sha \
                and newest.get("uid") == production.get("id"):
            return Undone(tuple(done))
        return Undone(tuple(done), (("vercel: baseline production deployment",
                                     lambda: expect("Vercel deployment", op.vercel_deploy(c.head_sha), "READY")),))


@dataclass(frozen=True)
class IndexReady:
    """The Pinecone index Ready again."""

    def restore(self, op: Operator, saved: dict) -> Undone:
        if op.pinecone_status() == {"ready": True, "state": "Ready"}:
            return Undone()
        op.set_pinecone_status(True, "Ready")
        return Undone(("pinecone: index Ready",))


@dataclass(frozen=True)
class KeyValueAvailable:
    """The Render Key Value instance `available` again."""

    def restore(self, op: Operator, saved: dict) -> Undone:
        if op.keyvalue_status() == "available":
            return Undone()
        op.set_keyvalue_status("available")
        return Undone(("render key value: available",))


@dataclass(frozen=True)
class MigrationRecorded:
    """A removed migration row inserted again (from what its removal saved)."""

    name: str

    def restore(self, op: Operator, saved: dict) -> Undone:
        row = saved.get(f"migration:{self.name}")
        if not row or not op.sql("insert into supabase_migrations.schema_migrations (version, name, statements) "
                                 "values (%s, %s, %s) on conflict do nothing returning version", tuple(row)):
            return Undone()
        return Undone((f"sql: migration {self.name} restored",))


@dataclass(frozen=True)
class RlsEnabled:
    """Row-level security on the table again."""

    table: str

    def restore(self, op: Operator, saved: dict) -> Undone:
        if op.sql("select relrowsecurity from pg_class where relname = %s", (self.table,)) == [(True,)]:
            return Undone()
        op.sql(f"alter table {self.table} enable row level security")
        return Undone((f"sql: row level security on {self.table}",))


Baseline = RenderBaseline | VercelBaseline | IndexReady | KeyValueAvailable | MigrationRecorded | RlsEnabled


# -- switches: how a fault arrives --------------------------------------------------------------------
class Switch(Protocol):
    service: str

    @property
    def arrives(self) -> str: ...

    @property
    def baseline(self) -> Baseline: ...

    def apply(self, op: Operator, saved: dict, others: list[Switch]) -> None: ...


@dataclass(frozen=True)
class RenderEnv:
    """A Render service's env var set (or deleted: value None), then the commit live now redeployed."""

    service: str
    key: str
    value: str | None

    @property
    def arrives(self) -> str:
        change = f"DELETE env {self.key}" if self.value is None else f"PUT env {self.key}={self.value}"
        return f"{LABELS[self.service]}: {change} + deploy"

    @property
    def baseline(self) -> Baseline:
        return RenderBaseline(self.service)

    def apply(self, op: Operator, saved: dict, others: list[Switch]) -> None:
        if self.value is None:
            op.delete_env(self.service, self.key)
        else:
            op.put_env(self.service, self.key, self.value)
        # The commit live now: an env fault stacks with a build fault of the same service.
        expect(f"{LABELS[self.service]} deploy", op.deploy(self.service, op.live_sha(self.service)), "live")


@dataclass(frozen=True)
class RenderSuspended:
    """A Render service suspended through the provider's own call: its process stops, as on Render."""

    service: str

    @property
    def arrives(self) -> str:
        return f"{LABELS[self.service]}: POST suspend"

    @property
    def baseline(self) -> Baseline:
        return RenderBaseline(self.service)

    def apply(self, op: Operator, saved: dict, others: list[Switch]) -> None:
        op.suspend(self.service)
        got = op.render_service(self.service)["suspended"]
        expect(f"{LABELS[self.service]} suspend", got, "suspended")


@dataclass(frozen=True)
class KeyValueState:
    """The Render Key Value instance reports a status other than `available` (its Redis keeps answering)."""

    status: str
    service: str = "redis"

    @property
    def arrives(self) -> str:
        return f"Render Key Value: status {self.status}"

    @property
    def baseline(self) -> Baseline:
        return KeyValueAvailable()

    def apply(self, op: Operator, saved: dict, others: list[Switch]) -> None:
        op.set_keyvalue_status(self.status)


@dataclass(frozen=True)
class VercelEnv:
    """A Vercel production env var added, then the production commit deployed again."""

    key: str
    value: str
    service: str = "frontend"

    @property
    def arrives(self) -> str:
        return f"Vercel: POST env {self.key}={self.value} + production deployment"

    @property
    def baseline(self) -> Baseline:
        return VercelBaseline()

    def apply(self, op: Operator, saved: dict, others: list[Switch]) -> None:
        op.add_vercel_env(self.key, self.value)
        expect("Vercel deployment", op.vercel_deploy(op.production_sha()), "READY")


@dataclass(frozen=True)
class VercelNodeVersion:
    """The Vercel project's Node version changed (no deployment)."""

    version: str
    service: str = "frontend"

    @property
    def arrives(self) -> str:
        return f'Vercel: PATCH project {{"nodeVersion": "{self.version}"}}'

    @property
    def baseline(self) -> Baseline:
        return VercelBaseline()

    def apply(self, op: Operator, saved: dict, others: list[Switch]) -> None:
        op.node_version(self.version)


@dataclass(frozen=True)
class MigrationRemoved:
    """A migration's row removed from the history (its row saved, so `--clear` can put it back)."""

    name: str
    service: str = "database"

    @property
    def arrives(self) -> str:
        return f"SQL: {self.name} row removed"

    @property
    def baseline(self) -> Baseline:
        return MigrationRecorded(self.name)

    def apply(self, op: Operator, saved: dict, others: list[Switch]) -> None:
        rows = op.sql("select version, name, statements from supabase_migrations.schema_migrations "
                      "where name = %s", (self.name,))
        if rows:
            saved[f"migration:{self.name}"] = list(rows[0])
        op.sql("delete from supabase_migrations.schema_migrations where name = %s", (self.name,))


@dataclass(frozen=True)
class RlsDisabled:
    """Row-level security switched off on one table."""

    table: str
    service: str = "database"

    @property
    def arrives(self) -> str:
        return f"SQL: ALTER TABLE {self.table} DISABLE ROW LEVEL SECURITY"

    @property
    def baseline(self) -> Baseline:
        return RlsEnabled(self.table)

    def apply(self, op: Operator, saved: dict, others: list[Switch]) -> None:
        op.sql(f"alter table {self.table} disable row level security")


@dataclass(frozen=True)
class IndexState:
    """The Pinecone index reports a state other than Ready."""

    state: str
    service: str = "pinecone"

    @property
    def arrives(self) -> str:
        return f"Pinecone: index status {self.state}"

    @property
    def baseline(self) -> Baseline:
        return IndexReady()

    def apply(self, op: Operator, saved: dict, others: list[Switch]) -> None:
        op.set_pinecone_status(False, self.state)


@dataclass(frozen=True)
class Build:
    """A deploy of a commit whose app build carries `flags` (registered at `up` with its message).

    Build faults of one service stack: when another one is active there, the commit deployed is a new one
    carrying all their app flags (a release with several bugs), so each stays active. `settles` is the
    status the deploy must end in (default: `live` on Render, `READY` on Vercel).
    """

    service: str
    flags: tuple[str, ...]
    commit: str
    settles: str = ""

    @property
    def arrives(self) -> str:
        what = "production deployment" if self.service == "frontend" else "deploy"
        return f"{LABELS[self.service]}: {what} of {self.commit!r} (build {', '.join(self.flags)})"

    @property
    def app_flags(self) -> tuple[str, ...]:
        """The flags the app implements (what a stacked release keeps); the control plane's own are not."""
        return tuple(f for f in self.flags if f not in CONTROL_PLANE_FLAGS)

    @property
    def baseline(self) -> Baseline:
        return VercelBaseline() if self.service == "frontend" else RenderBaseline(self.service)

    def apply(self, op: Operator, saved: dict, others: list[Switch]) -> None:
        sha = self._commit(op, others)
        if self.service == "frontend":
            expect("Vercel deployment", op.vercel_deploy(sha), self.settles or "READY")
        else:
            expect(f"{LABELS[self.service]} deploy", op.deploy(self.service, sha), self.settles or "live")

    def _commit(self, op: Operator, others: list[Switch]) -> str:
        stacked = {f for o in others if isinstance(o, Build) and o.service == self.service for f in o.app_flags}
        if not stacked:
            return op.c.commit_sha(self.commit, self.flags)
        build = sorted(stacked | set(self.flags))
        return op.push_commit(f"release with {', '.join(build)}", build)
