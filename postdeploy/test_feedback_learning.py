"""Go/no-go 5: a feedback event is stored, a learning job is enqueued, and the worker processes it."""
from __future__ import annotations

import pytest


@pytest.mark.postdeploy
@pytest.mark.criterion("feedback-learning")
def test_feedback_event_reaches_a_processed_learning_job(api, owner, run_id, database, thresholds, wait_for, target):
    job_id = None
    # The API enqueues a job once the twin has FEEDBACK_LEARNING_MIN_EVENTS unprocessed events.
    for n in range(1, thresholds["max_feedback_events"] + 1):
        response = api.post("/feedback", headers=owner.headers, json={
            "twin_id": owner.twin_id, "message_id": None, "rating": 1 if n % 2 else -1,
            "comment": f"gonogo postdeploy feedback {n}", "run_id": run_id,
        })
        assert response.status_code == 201, f"POST /feedback answered {response.status_code}: {response.text[:200]}"
        event_id = response.json().get("event_id")
        assert database.feedback_event_exists(event_id), f"feedback event {event_id} is not in the database"
        job_id = response.json().get("job_id")
        if job_id:
            break
    assert job_id, (f"no learning job was enqueued after {thresholds['max_feedback_events']} feedback events "
                    "(check FEEDBACK_LEARNING_MIN_EVENTS and the cooldown)")

    def job_status():
        reply = api.get(f"/feedback/jobs/{job_id}", headers=owner.headers)
        assert reply.status_code == 200, f"GET /feedback/jobs/{job_id} answered {reply.status_code}"
        return reply.json().get("status")

    status = wait_for(job_status, lambda s: s in ("completed", "failed"),
                      timeout=target.learning_job_timeout_s or thresholds["learning_job_timeout_s"],
                      what=f"learning job {job_id} to finish")
    assert status == "completed", f"learning job {job_id} ended {status!r}"
