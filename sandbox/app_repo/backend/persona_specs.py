"""Persona specs: validation and the channel-aware view a router returns."""

from __future__ import annotations

import re

_INJECTION = re.compile(r"ignore (all |your |previous )*instructions|reveal .*private|system prompt", re.I)
TONES = ("calm", "friendly", "formal", "playful")


class SpecError(ValueError):
    pass


def validate_spec(spec: dict) -> dict:
    name = str(spec.get("name", "")).strip()
    if not name or len(name) > 60:
        raise SpecError("name is required (1-60 characters)")
    tone = spec.get("tone", "calm")
    if tone not in TONES:
        raise SpecError(f"tone {tone!r} is not one of {TONES}")
    rules = [str(r).strip() for r in spec.get("rules", []) if str(r).strip()]
    return {"name": name, "tone": tone, "rules": rules, "private_notes": list(spec.get("private_notes", []))}


def spec_view(spec: dict, channel: str) -> dict:
    """What a channel may see: the public channel never gets the owner's private notes."""
    if channel not in ("owner", "public"):
        raise SpecError(f"channel {channel!r} must be 'owner' or 'public'")
    view = {k: v for k, v in spec.items() if k != "private_notes"}
    if channel == "owner":
        view["private_notes"] = list(spec.get("private_notes", []))
    return view


def is_injection(message: str) -> bool:
    return bool(_INJECTION.search(message))
