"""sandbox: a local, real rehearsal of the production deployment (never imported by gonogo)."""
