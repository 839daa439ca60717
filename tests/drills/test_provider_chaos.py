"""Drills: a provider that fails (5xx, hangs, answers HTML, refuses the token) ends the run INCONCLUSIVE within a
stated bound, rolling nothing back; one that rate-limits or flakes is retried to GO.

`make test` runs every mode on Render and one on each other provider (the suite stays under its time
budget); GONOGO_FULL_CHAOS=1 runs the whole matrix (4 providers x 4 failure modes, and the two retried
modes on every provider).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from _drill import (
    CODE_GATES,
    assert_no_secrets,
    chaos,
    chaos_switch,
    clear_chaos,
    live_deploys,
    run_runbook,
    target_file,
    worker_stack,
    write_target,
)

stack = worker_stack()
FULL = os.environ.get("GONOGO_FULL_CHAOS") == "1"
FULL_ONLY = pytest.mark.skipif(not FULL, reason="the full chaos matrix runs with GONOGO_FULL_CHAOS=1")

# The drill's bound on a dead provider (docs/providers.md#shared-transport): 1 s per attempt, 2 attempts.
TIMEOUT_S, ATTEMPTS = 1, 2
# A hung request is held past that timeout, then answered 504.
HANG_S = 4
# One call: ATTEMPTS x TIMEOUT_S plus one backoff (< 0.5 s, no Retry-After), ~2.5 s; a run makes a handful
# (the rollback's look at what is live, then one per test reading the provider). The rest is pytest and the
# tests that do not read it, on a shared 2-core machine: generous on purpose. Without the target's bound a
# default client would wait 10 s per attempt, 4 attempts, per call.
RUN_BOUND_S = 60.0


@dataclass(frozen=True)
class Reads:
    """What a run selects to judge one provider: its files, its -m, and the criteria that read the provider."""

    paths: tuple[str, ...]
    markexpr: str
    criteria: frozenset[str]


DATA_PLANE = ("gates/test_data_plane.py", "gates/test_topology.py")
READS = {
    "render": Reads(("smoke",), "smoke", frozenset({"render-live"})),
    "vercel": Reads(("smoke",), "smoke", frozenset({"vercel-ready"})),
    "supabase": Reads((*DATA_PLANE, "smoke"), "predeploy or smoke",
                      frozenset({"migrations-applied", "data-plane-ready", "topology"})),
    # Not the app's own smoke tests: the sandbox API's /health describes the index through this emulator
    # itself (its vector_index check), so a Pinecone outage is also the app's own 503 there, a real NO-GO.
    "pinecone": Reads((*DATA_PLANE, "smoke/test_render_live.py", "smoke/test_vercel_ready.py"),
                      "predeploy or smoke", frozenset({"data-plane-ready", "topology"})),
}
# A GO needs every criterion of the stages in scope: the predeploy providers' runs keep the code gates.
GO_READS = {
    "render": READS["render"],
    "vercel": READS["vercel"],
    "supabase": Reads(("gates", "smoke"), "predeploy or smoke", frozenset()),
    "pinecone": Reads(("gates",), "predeploy", frozenset()),
}
# What the reason of each inconclusive test says, besides the provider's name.
FAILURE_WORDS = {
    "503": ("answered 503", f"after {ATTEMPTS} attempts"),
    "hang": ("timed out", f"timeout {TIMEOUT_S} s", f"after {ATTEMPTS} attempts"),
    "html": ("answered 200", "not JSON"),
    "unauthorized": ("answered 401", "refused"),
}
# make test: all of Render's modes, two of each other provider's.
DEFAULT = {("vercel", "html"), ("supabase", "503"), ("pinecone", "unauthorized")}


def _cases(providers, modes, default):
    return [pytest.param(p, m, id=f"{p}-{m}", marks=() if default(p, m) else FULL_ONLY)
            for p in providers for m in modes]


def _chaos_on(stack, provider: str, mode: str) -> None:
    chaos(stack, provider, mode, delay_s=HANG_S if mode == "hang" else None)


def _first_line(messages: list[str]) -> str:
    return messages[0].splitlines()[0][:240] if messages and messages[0] else ""


@pytest.mark.parametrize(("provider", "mode"),
                         _cases(READS, FAILURE_WORDS, lambda p, m: p == "render" or (p, m) in DEFAULT))
def test_a_failing_provider_is_inconclusive_within_the_bound(stack, tmp_path, provider, mode):
    reads = READS[provider]
    target = write_target(stack, "bounded", provider_timeout_s=TIMEOUT_S, provider_attempts=ATTEMPTS)
    before = live_deploys(stack)
    _chaos_on(stack, provider, mode)
    try:
        run = run_runbook("-m", reads.markexpr, "--rollback=auto", target=target, out_dir=tmp_path,
                          name=f"{provider}-{mode}", paths=reads.paths)
    finally:
        clear_chaos(stack)
    assert run.verdict is not None, run.describe()
    reasons = [m for cid in sorted(reads.criteria) for m in run.messages(cid)]
    # The drill's own report line (`-rP`): exit, wall time, the first reason.
    print(f"CHAOS {provider} {mode}: exit {run.returncode}, {run.wall_s:.1f} s, {_first_line(reasons)}")

    assert run.returncode == 7 and run.verdict["verdict"] == "INCONCLUSIVE", run.describe()
    assert run.wall_s < RUN_BOUND_S, f"{provider} {mode}: the run took {run.wall_s:.1f} s, bound {RUN_BOUND_S:g} s"
    statuses = {c["id"]: c["status"] for c in run.verdict["criteria"]}
    assert not [cid for cid, status in statuses.items() if status in ("failed", "error")], run.describe()
    inconclusive = {cid for cid, status in statuses.items() if status == "inconclusive"}
    assert inconclusive == reads.criteria, f"expected {sorted(reads.criteria)} inconclusive\n{run.describe()}"
    # Every other criterion that ran was proven; the ones left out are those this drill does not select.
    assert {s for cid, s in statuses.items() if cid not in inconclusive} <= {"passed", "missing"}, run.describe()
    if reads.markexpr == "smoke":
        assert "missing" not in statuses.values(), run.describe()
    # Each affected test says which provider and what went wrong.
    for cid in reads.criteria:
        messages = run.messages(cid)
        assert messages, f"{cid} inconclusive without a reason"
        for message in messages:
            assert message.startswith(tuple(f"{kind}: {provider}: " for kind in (
                "ServerError", "ProviderTimeout", "MalformedResponse", "AuthError"))), message
            missing_words = [w for w in FAILURE_WORDS[mode] if w not in message]
            assert not missing_words, f"{cid}: {missing_words} not in {message!r}"
    kinds = {(d["criterion"], d["status"]) for d in run.verdict["reason_details"]}
    assert {(cid, "inconclusive") for cid in reads.criteria} <= kinds, run.verdict["reason_details"]

    # Rolled back nothing: the actions the affected criteria would call for are listed, not run...
    rollback = run.verdict["rollback"]
    assert rollback["mode"] == "auto" and not rollback["triggered"], rollback
    assert not [a for a in rollback["actions"] if a["status"] != "not_run"], rollback
    would = {scope for c in run.verdict["criteria"] if c["id"] in reads.criteria for scope in c["rollback"]}
    assert set(rollback["scopes"]) == would, rollback
    if would:
        assert rollback["withheld"] and rollback["actions"], rollback
    # ...and the sandbox serves what it served before.
    assert live_deploys(stack) == before
    assert_no_secrets(run, stack)


@pytest.mark.parametrize(("provider", "mode"),
                         _cases(GO_READS, ("429", "flaky-502"), lambda p, m: p == "render"))
def test_a_rate_limiting_or_flaky_provider_is_retried_to_go(stack, tmp_path, provider, mode):
    reads = GO_READS[provider]
    # The clients' defaults (10 s, 4 attempts): three 429s asking Retry-After 1 s, or a 502 before every answer.
    if mode == "429":
        chaos(stack, provider, "429", count=3, retry_after_s=1)
    else:
        chaos(stack, provider, "flaky-502")
    try:
        args = ("-m", reads.markexpr, "--rollback=auto")
        run = run_runbook(*args, target=target_file(stack), out_dir=tmp_path, name=f"{provider}-{mode}",
                          paths=reads.paths)
        switch = chaos_switch(stack, provider)
    finally:
        clear_chaos(stack)
    print(f"CHAOS {provider} {mode}: exit {run.returncode}, {run.wall_s:.1f} s")
    assert run.verdict is not None, run.describe()
    assert run.returncode == 0 and run.verdict["verdict"] == "GO", run.describe()
    statuses = run.statuses()
    assert set(statuses.values()) == {"passed"}, run.describe()
    if reads.markexpr != "smoke":
        assert set(CODE_GATES) <= set(statuses)
    # The emulator really misbehaved during the run: every 429 was served, or a 502 came before an answer.
    if mode == "429":
        assert switch["count"] == 0, switch
    else:
        answers = [e["text"] for c in run.verdict["criteria"] for t in c["tests"] for e in t["evidence"]
                   if e["kind"] == "note" and e["title"].startswith(f"{provider}: ")]
        assert any(text.startswith("502 ") for text in answers), answers
    assert not run.verdict["rollback"]["triggered"], run.verdict["rollback"]
