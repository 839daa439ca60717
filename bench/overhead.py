"""Wall-time cost of gonogo on 2,000 trivial criterion-mapped tests: prints the median ratio."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = 2000
CRITERIA = 20


def make_project(root: Path) -> None:
    """Write a runbook with CRITERIA smoke criteria and TESTS trivial tests mapped to them."""
    lines = []
    for c in range(CRITERIA):
        lines += [f"[criteria.c{c:02d}]", f'title = "criterion {c}"', 'stage = "smoke"', ""]
    (root / "runbook.toml").write_text("\n".join(lines))
    # Registered here too, so the run without gonogo does not pay for 4,000 unknown-mark warnings.
    (root / "pytest.ini").write_text("[pytest]\nmarkers =\n    smoke: stage\n    criterion(ID): criterion\n")
    per_file = 100
    for f in range(TESTS // per_file):
        body = ["import pytest", ""]
        for t in range(per_file):
            n = f * per_file + t
            body += ["@pytest.mark.smoke", f'@pytest.mark.criterion("c{n % CRITERIA:02d}")',
                     f"def test_{n}():", "    assert True", ""]
        (root / f"test_bench_{f:02d}.py").write_text("\n".join(body))


def run(root: Path, extra: list[str], bytecode: bool) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one pytest run in a child process."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:playwright", "-m", "smoke",
           *extra]
    env = {**os.environ, "PYTEST_ADDOPTS": ""}
    if bytecode:
        # As on most machines: compiled (and assertion-rewritten) modules are cached after the first run.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=600)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"bench run {' '.join(extra) or '(plugin)'} exited {proc.returncode}:\n{proc.stdout[-2000:]}")
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="set PYTHONDONTWRITEBYTECODE=1 (every run recompiles gonogo's modules too, a fixed "
                             "per-process cost; default: bytecode cached, as on most machines)")
    args = parser.parse_args()
    bytecode = not args.no_bytecode
    with tempfile.TemporaryDirectory(prefix="gonogo-bench-") as tmp:
        root = Path(tmp)
        make_project(root)
        variants = {
            "without gonogo": ["-p", "no:gonogo"],
            "with gonogo": [],
            "junitxml (reference)": ["-p", "no:gonogo", "--junitxml", str(root / "junit.xml")],
        }
        run(root, [], bytecode)  # warm the file-system and bytecode caches once
        wall: dict[str, list[float]] = {name: [] for name in variants}
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            # Interleaved, so a slow moment of the machine hits every variant alike.
            for name, extra in variants.items():
                w, c = run(root, extra, bytecode)
                wall[name].append(w)
                cpu[name].append(c)
    print(f"bytecode cache: {'on' if bytecode else 'off (PYTHONDONTWRITEBYTECODE=1)'}")
    med = {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in variants}
    for name, (w, c) in med.items():
        print(f"{name:22s} median wall {w:6.3f} s, cpu {c:6.3f} s over {args.rounds} runs")
    base_wall, base_cpu = med["without gonogo"]
    print(f"junitxml ratio: wall {med['junitxml (reference)'][0] / base_wall:.3f}, "
          f"cpu {med['junitxml (reference)'][1] / base_cpu:.3f}")
    # CPU time is printed too: on a shared, loaded machine it is the steadier of the two.
    print(f"gonogo cpu-time ratio: {med['with gonogo'][1] / base_cpu:.3f}")
    # Each round's with/without pair ran back to back: the median of those ratios is the steadier figure.
    pairs = [w / b for w, b in zip(wall["with gonogo"], wall["without gonogo"], strict=True)]
    junit_pairs = [j / b for j, b in zip(wall["junitxml (reference)"], wall["without gonogo"], strict=True)]
    print(f"junitxml overhead ratio (median of per-round wall ratios): {statistics.median(junit_pairs):.3f}")
    print(f"gonogo overhead ratio (median of per-round wall ratios, {TESTS} tests): {statistics.median(pairs):.3f} "
          f"(min {min(pairs):.3f}, max {max(pairs):.3f}; goal <= 1.03)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
