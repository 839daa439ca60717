"""Section 4, production env baseline on Render (API + worker) and Vercel; keys checked, secrets never shown."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.predeploy


@pytest.mark.criterion("render-env-baseline")
@pytest.mark.parametrize("service", ["api", "worker"])
def test_render_env_baseline(render_env, env_baseline, service, evidence):
    env = render_env[service]
    # Keys only, and the values the baseline prescribes (flags, not secrets).
    evidence.note(f"{service} service env keys", ", ".join(sorted(env)))
    evidence.note(f"{service} service baseline values",
                  "\n".join(f"{k}={env.get(k)!r}" for k in env_baseline["render_expected"]))
    missing = [k for k in env_baseline["render_required"] if not env.get(k)]
    missing += [" or ".join(group) for group in env_baseline["render_one_of"] if not any(env.get(k) for k in group)]
    assert not missing, f"{service} service lacks {', '.join(missing)}"
    wrong = {k: env.get(k) for k, v in env_baseline["render_expected"].items() if env.get(k, "").lower() != v}
    expected = env_baseline["render_expected"]
    assert not wrong, f"{service} service has " + ", ".join(
        f"{k}={v!r} (expected {expected[k]!r})" for k, v in wrong.items())


@pytest.mark.criterion("vercel-env-baseline")
def test_vercel_env_baseline(vercel_env, env_baseline, evidence):
    evidence.note("Vercel production env keys", ", ".join(sorted(vercel_env)))
    missing = [k for k in env_baseline["vercel_required"] if k not in vercel_env]
    assert not missing, f"Vercel production env lacks {', '.join(missing)}"
    for key, allowed in env_baseline["vercel_forbidden"].items():
        if key not in vercel_env:
            continue
        value = vercel_env[key]
        # A sensitive/encrypted value that cannot be read cannot be proven to be 0: fail closed.
        assert value is not None, f"{key} is set in production but its value cannot be read; remove it or set it to 0"
        assert value in allowed, f"{key}={value!r} in production; it must be unset or 0"
