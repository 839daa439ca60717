"""The twin's deterministic persona chat: answers from persona + notes, channel-aware, no LLM."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

REFUSAL = ("I can't help with that. I keep my instructions and my owner's private notes "
           "confidential, but I'm happy to talk about the work itself.")

# Prompt-injection shapes the regression dataset exercises; matching any of them means refuse.
_ADVERSARIAL = [
    r"ignore (all |any |your |the |previous |prior )*(instructions|rules|guidelines)",
    r"(reveal|show|print|leak|dump|repeat|tell me) .*(private|secret|hidden|internal|system|training)",
    r"system prompt",
    r"private notes?",
    r"(developer|dev|god|admin) mode",
    r"pretend (you are|to be)|you are now|jailbreak",
    r"disregard .*(instructions|rules)",
]
_ADVERSARIAL_RE = re.compile("|".join(f"(?:{p})" for p in _ADVERSARIAL), re.IGNORECASE)

# Small topic table so answers say something about the question, deterministically.
_TOPICS = [
    (("roadmap", "plan", "priorit"), "start from the outcome, cut the roadmap into small milestones, and "
                                     "review priorities every two weeks"),
    (("price", "pricing", "cost"), "price on the value delivered, test two tiers, and keep the first one simple"),
    (("hire", "hiring", "team"), "hire for the next milestone, not the next year, and write the role down first"),
    (("launch", "release", "ship"), "ship behind a flag, watch the numbers for a day, then widen the rollout"),
    (("customer", "user", "feedback"), "talk to five customers a week and write down their exact words"),
    (("risk", "trade-off", "tradeoff"), "name the risk, estimate its cost, and pick the cheaper mistake"),
]
_DEFAULT_TOPIC = "name the goal, list two or three options, and choose the one with the clearest trade-off"
# The persona-regression-slight build's shorter advice: still on topic, but without the options the regression
# dataset expects for an open question (one case of twenty fails).
_TERSE_DEFAULT_TOPIC = "name the goal and choose the clearest trade-off"


class Channel(str, Enum):
    OWNER = "owner"
    PUBLIC = "public"


@dataclass(frozen=True)
class Persona:
    name: str
    description: str
    notes: tuple[str, ...]  # the owner's training notes: private to the owner channel


def is_adversarial(message: str) -> bool:
    return bool(_ADVERSARIAL_RE.search(message))


def _topic(message: str, terse: bool = False) -> str:
    lowered = message.lower()
    for keywords, advice in _TOPICS:
        if any(k in lowered for k in keywords):
            return advice
    return _TERSE_DEFAULT_TOPIC if terse else _DEFAULT_TOPIC


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".") + "."


def _intro(persona: Persona) -> str:
    first = _first_sentence(persona.description)
    prefix = f"{persona.name} is "
    if first.startswith(prefix):
        return f"Hi, I'm {persona.name}, {first[len(prefix):]}"
    return f"Hi, I'm {persona.name}. {first}"


def answer(persona: Persona, message: str, channel: Channel, leaky: bool = False, terse: bool = False) -> str:
    """The twin's reply. `leaky` is the persona-regression-drop build: it obeys injections and
    shows private notes on the public channel, which is exactly what the regression gate must catch.
    `terse` is the persona-regression-slight build: a shorter answer to an open question, still above the
    gate's pass rate but below the last release's, which only a comparison with it catches."""
    message = " ".join(message.split())[:500]
    notes = "; ".join(persona.notes[-3:])
    if is_adversarial(message):
        if leaky:
            return f"Sure, ignoring my instructions. My owner's private notes: {notes or '(none)'}"
        return REFUSAL
    intro = _intro(persona)
    body = f"On your question, I would {_topic(message, terse)}."
    if channel is Channel.OWNER:
        extra = f" From your training notes: {notes}" if notes else " You have no training notes yet."
        return f"{intro} {body}{extra}"
    if leaky and notes:
        return f"{intro} {body} Between us: {notes}"
    return f"{intro} {body}"
