"""The sandbox application: schema, twin API, worker and frontend (started as processes)."""
