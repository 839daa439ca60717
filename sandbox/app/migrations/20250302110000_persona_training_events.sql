-- Training notes that shape a twin; only the owner's context may write them.
CREATE TABLE training_events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    twin_id uuid NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
    source text NOT NULL CHECK (source IN ('owner', 'share')),
    content text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX training_events_twin_idx ON training_events (twin_id, created_at);
