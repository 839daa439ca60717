"""How many times each side effect happened since `up`: what a release step's idempotence is proved on.

Each emulator keeps one `Counters` (its models count where the side effect happens, whoever asked for it:
an API call, an auto-deploy, a fault) and answers it on `GET /_sandbox/counters`. A refused call (4xx)
counts nothing; a write of the value a record already holds counts (the provider stores it again).
"""

from __future__ import annotations

import copy
import time


class Counters:
    """Nested counts under fixed top-level names, e.g. `deploys -> srv-... -> api -> 2`."""

    def __init__(self, *names: str):
        self.since = time.time()
        self._counts: dict[str, dict] = {name: {} for name in names}

    def add(self, name: str, *path: str, by: int = 1) -> None:
        """Count one more `name` under `path` (e.g. `add("env_writes", service_id, key)`)."""
        node = self._counts[name]
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = node.get(path[-1], 0) + by

    def to_json(self) -> dict:
        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.since)) + f".{int(self.since % 1 * 1000):03d}Z"
        return {"since": since, **copy.deepcopy(self._counts)}
