"""One JSON object per stdout line: the log format the Render emulator reads back."""

from __future__ import annotations

import json
import logging
import sys
import time

_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warning", "ERROR": "error", "CRITICAL": "critical"}


def _ts(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


class JsonLineFormatter(logging.Formatter):
    """`{"ts", "level", "message", "logger", "type", ...extra}`; tracebacks stay inside the one line."""

    def __init__(self, logger_name: str) -> None:
        super().__init__()
        self.logger_name = logger_name

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": _ts(record.created),
            "level": _LEVELS.get(record.levelname, "info"),
            "message": record.getMessage(),
            "logger": self.logger_name,
            "type": getattr(record, "type", "app"),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup(logger_name: str, level: int = logging.INFO) -> logging.Logger:
    """Route every logger (uvicorn's too) to JSON lines on stdout; return this process's logger."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLineFormatter(logger_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Python warnings (e.g. PyJWT's short-key warning) would otherwise reach stderr as plain text.
    logging.captureWarnings(True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "py.warnings"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    return logging.getLogger(logger_name)
