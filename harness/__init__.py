"""Project-local glue between the runbook suites and a target: loading, clients, commands, rollback."""
