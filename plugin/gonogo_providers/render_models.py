"""Render API v1 values: services, key value, deploys, logs and metrics as the client returns them.

The shapes and enums are docs/providers.md#render's; `gonogo_providers.render` re-exports them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The deploy `status` enum (CONFIRMED; docs/providers.md#render-deploys).
DEPLOY_STATUSES = (
    "created", "queued", "build_in_progress", "update_in_progress", "pre_deploy_in_progress",
    "live", "deactivated", "build_failed", "update_failed", "pre_deploy_failed", "canceled",
)
IN_PROGRESS_STATUSES = frozenset(
    {"created", "queued", "build_in_progress", "update_in_progress", "pre_deploy_in_progress"}
)
FAILED_STATUSES = frozenset({"build_failed", "update_failed", "pre_deploy_failed", "canceled"})
# Render's own CLI counts these two as a successful deploy (docs/providers.md#render-rollback).
SUCCEEDED_STATUSES = frozenset({"live", "deactivated"})
# The two spellings of "deploy on every push" (docs/providers.md#render-service-update): which one an
# account's service shows is UNCONFIRMED, so the client reads both and writes the one shown.
AUTO_DEPLOY_VALUES = {"autoDeploy": ("yes", "no"), "autoDeployTrigger": ("commit", "off")}
# The Key Value instance that serves (docs/providers.md#render-key-value; other values UNCONFIRMED).
KEY_VALUE_AVAILABLE = "available"



@dataclass(frozen=True)
class Service:
    """A Render service (`srv-…`); `owner_id` is the workspace the logs API needs.

    `root_dir` (`rootDir`) and `branch` are UNCONFIRMED names (docs/providers.md#render-services): None
    when the answer does not carry them, so a check comparing them fails rather than passes.
    """

    id: str
    name: str
    type: str
    owner_id: str
    auto_deploy: str
    suspended: str
    url: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)
    auto_deploy_trigger: str | None = None
    root_dir: str | None = None
    branch: str | None = None
    runtime: str | None = None

    @property
    def auto_deploy_field(self) -> str:
        """The field this service shows for auto-deploy, the one to write (`autoDeployTrigger` wins)."""
        return "autoDeployTrigger" if self.auto_deploy_trigger is not None else "autoDeploy"

    @property
    def auto_deploys(self) -> bool | None:
        """Whether a push deploys by itself; None when the service shows neither field."""
        if self.auto_deploy_trigger is not None:
            return self.auto_deploy_trigger != "off"
        if self.auto_deploy in AUTO_DEPLOY_VALUES["autoDeploy"]:
            return self.auto_deploy == "yes"
        return None

    @property
    def is_suspended(self) -> bool:
        return self.suspended == "suspended"


def auto_deploy_patch(service: Service, enabled: bool) -> dict[str, str]:
    """The `PATCH /services/{id}` body that turns auto-deploy on or off, in the field `service` shows.

    docs/providers.md#render-service-update: `{"autoDeploy": "no"}`, or `{"autoDeployTrigger": "off"}`
    on a service that shows the newer field (`yes`/`commit` to turn it back on).
    """
    name = service.auto_deploy_field
    on, off = AUTO_DEPLOY_VALUES[name]
    return {name: on if enabled else off}


@dataclass(frozen=True)
class KeyValue:
    """A Render Key Value instance (`red-…`, the runbook's Redis); `status` values UNCONFIRMED."""

    id: str
    name: str
    status: str
    plan: str | None
    region: str | None
    owner_id: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def available(self) -> bool:
        """Anything but `available` is not ready (docs/providers.md#render-key-value)."""
        return self.status == KEY_VALUE_AVAILABLE


@dataclass(frozen=True)
class Deploy:
    """A Render deploy (`dep-…`) with the fields the runbook judges; everything else is in `raw`."""

    id: str
    status: str
    trigger: str | None
    commit_id: str | None
    commit_message: str | None
    created_at: datetime | None
    finished_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def is_live(self) -> bool:
        return self.status == "live"

    @property
    def is_failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS_STATUSES


@dataclass(frozen=True)
class LogEntry:
    """One log line; `labels` maps label `name` to value (level, type, resource, instance …)."""

    id: str
    message: str
    timestamp: datetime | None
    labels: dict[str, str] = field(compare=False)

    @property
    def level(self) -> str | None:
        return self.labels.get("level")

    @property
    def resource(self) -> str | None:
        return self.labels.get("resource")


@dataclass(frozen=True)
class MetricPoint:
    timestamp: datetime | None
    value: float


@dataclass(frozen=True)
class MetricSeries:
    """One time series; metric labels use `field` (not `name`), mapped here field -> value."""

    labels: dict[str, str] = field(compare=False)
    unit: str = ""
    points: tuple[MetricPoint, ...] = ()
