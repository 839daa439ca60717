-- Phase 7: feedback events and the learning jobs they trigger.
CREATE TABLE feedback_events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    twin_id uuid NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
    message_id text NOT NULL,
    rating smallint NOT NULL CHECK (rating IN (-1, 1)),
    comment text,
    run_id text,
    processed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX feedback_events_pending_idx ON feedback_events (twin_id) WHERE processed_at IS NULL;

CREATE TABLE learning_jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    twin_id uuid NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'completed', 'failed')),
    event_count integer NOT NULL DEFAULT 0,
    run_id text,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);

CREATE INDEX learning_jobs_twin_idx ON learning_jobs (twin_id, created_at);
