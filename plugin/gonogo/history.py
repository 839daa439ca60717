"""Kept verdicts: a copy of each run's verdict.json that measured something, and the last GO's values from them.

A kept file is named `<UTC time>-<word>-<target>-<random>.json`, so the search for the last GO on a target reads
only the GO files of that target, newest first, and stops as soon as every measure has its value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from gonogo.measures import Baseline
from gonogo.verdict import is_verdict_file

# The word in a file name: no dash, so that a NO-GO file never reads as a GO one.
_WORDS = {"GO": "GO", "NO-GO": "NOGO", "INCONCLUSIVE": "INCONCLUSIVE"}


def target_slug(target: str | None) -> str:
    """A file-name-safe form of the target, with a short hash of its exact name (two paths never collide)."""
    name = target or ""
    readable = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")[:40] or "none"
    return f"{readable}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def keep(directory: Path, text: str, word: str, target: str | None) -> Path:
    """Write a copy of a verdict.json's text into the history directory; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"{stamp}-{_WORDS.get(word, 'OTHER')}-{target_slug(target)}-{os.urandom(3).hex()}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # whole or absent: a reader never sees half a file
    return path


def _baselines_in(data: Mapping[str, Any], names: set[str], source: str) -> dict[str, Baseline]:
    found = {}
    for name, body in (data.get("measures") or {}).items():
        if name in names:
            try:
                found[name] = Baseline(float(body["value"]), str(body.get("unit", "")), str(data.get("started_at", "")),
                                       str(data.get("finished_at", "")), tuple(data.get("stages", ())), source)
            except (KeyError, TypeError, ValueError):
                continue  # a file another version wrote, or a hand-edited one: it is not a baseline
    return found


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def last_go(directory: Path, target: str | None, names: Iterable[str]) -> dict[str, Baseline]:
    """Per measure, its value in the newest kept GO verdict of the same target that holds it."""
    wanted = set(names)
    try:
        files = sorted((p for p in directory.iterdir() if p.suffix == ".json"), reverse=True)
    except OSError:
        return {}  # no history yet
    suffix = f"-GO-{target_slug(target)}-"
    found: dict[str, Baseline] = {}
    for path in files:
        if not wanted - set(found):
            break
        if suffix not in path.name:
            continue
        data = _read(path)
        # The name says GO on this target; the file must say so too.
        if data is None or data.get("verdict") != "GO" or data.get("target") != target:
            continue
        for name, baseline in _baselines_in(data, wanted - set(found), path.name).items():
            found[name] = baseline
    return found


def forced(path: Path, names: Iterable[str]) -> dict[str, Baseline]:
    """The values of a verdict the operator named (--gonogo-baseline), whatever its word and target."""
    data = _read(path)
    return _baselines_in(data or {}, set(names), str(path))


def check_baseline_file(path: Path) -> str | None:
    """Why a --gonogo-baseline file cannot be used, or None."""
    data = _read(path)
    if data is None:
        return "is not a JSON object"
    if not is_verdict_file(data):
        return "is not a verdict.json written by gonogo"
    return None
