-- Row-level security: the API runs as role twin_app with app.tenant_id set per request.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twin_app') THEN
        CREATE ROLE twin_app NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO twin_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, twins, messages, training_events, feedback_events, learning_jobs TO twin_app;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;

ALTER TABLE twins ENABLE ROW LEVEL SECURITY;

ALTER TABLE messages ENABLE ROW LEVEL SECURITY;

ALTER TABLE training_events ENABLE ROW LEVEL SECURITY;

ALTER TABLE feedback_events ENABLE ROW LEVEL SECURITY;

ALTER TABLE learning_jobs ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON tenants
    USING (id::text = current_setting('app.tenant_id', true))
    WITH CHECK (id::text = current_setting('app.tenant_id', true));

CREATE POLICY tenant_isolation ON twins
    USING (tenant_id::text = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id::text = current_setting('app.tenant_id', true));

CREATE POLICY tenant_isolation ON messages
    USING (tenant_id::text = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id::text = current_setting('app.tenant_id', true));

CREATE POLICY tenant_isolation ON training_events
    USING (tenant_id::text = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id::text = current_setting('app.tenant_id', true));

CREATE POLICY tenant_isolation ON feedback_events
    USING (tenant_id::text = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id::text = current_setting('app.tenant_id', true));

CREATE POLICY tenant_isolation ON learning_jobs
    USING (tenant_id::text = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id::text = current_setting('app.tenant_id', true));
