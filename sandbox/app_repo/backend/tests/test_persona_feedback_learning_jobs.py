import pytest
from backend.learning_jobs import JobStatus, LearningJob, TransitionError


def test_job_moves_queued_processing_completed():
    job = LearningJob("j1", "t1")
    assert job.status is JobStatus.QUEUED and job.job_type == "feedback_learning"
    done = job.move(JobStatus.PROCESSING).move(JobStatus.COMPLETED)
    assert done.status is JobStatus.COMPLETED and done.finished
    assert job.status is JobStatus.QUEUED  # values are immutable


def test_skipping_processing_is_refused():
    with pytest.raises(TransitionError, match="queued -> completed"):
        LearningJob("j1", "t1").move(JobStatus.COMPLETED)


def test_finished_jobs_do_not_move():
    failed = LearningJob("j1", "t1").move(JobStatus.FAILED)
    with pytest.raises(TransitionError):
        failed.move(JobStatus.PROCESSING)


def test_unknown_job_type_is_refused():
    with pytest.raises(ValueError, match="job_type"):
        LearningJob("j1", "t1", job_type="retrain_everything")
