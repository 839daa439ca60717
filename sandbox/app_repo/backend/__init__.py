"""The demo twin backend: pure logic behind its routers (the sandbox API runs the real thing)."""
