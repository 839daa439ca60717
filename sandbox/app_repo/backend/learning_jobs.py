"""The learning job state machine: queued -> processing -> completed | failed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class JobStatus(str, Enum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


ALLOWED = {
    JobStatus.QUEUED: {JobStatus.PROCESSING, JobStatus.FAILED},
    JobStatus.PROCESSING: {JobStatus.COMPLETED, JobStatus.FAILED},
    JobStatus.COMPLETED: set(),
    JobStatus.FAILED: set(),
}
JOB_TYPES = ("feedback_learning", "persona_refresh")


class TransitionError(ValueError):
    pass


@dataclass(frozen=True)
class LearningJob:
    id: str
    twin_id: str
    job_type: str = "feedback_learning"
    status: JobStatus = JobStatus.QUEUED

    def __post_init__(self) -> None:
        if self.job_type not in JOB_TYPES:
            raise ValueError(f"job_type {self.job_type!r} is not one of {JOB_TYPES}")

    def move(self, to: JobStatus) -> LearningJob:
        if to not in ALLOWED[self.status]:
            raise TransitionError(f"job {self.id}: {self.status.value} -> {to.value} is not allowed")
        return replace(self, status=to)

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.COMPLETED, JobStatus.FAILED)
