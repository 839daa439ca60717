-- Learning jobs get a type so other job kinds can share the queue table.
ALTER TABLE learning_jobs ADD COLUMN job_type text NOT NULL DEFAULT 'feedback_learning';

ALTER TABLE learning_jobs ADD CONSTRAINT learning_jobs_job_type_check
    CHECK (job_type IN ('feedback_learning', 'persona_refresh'));
