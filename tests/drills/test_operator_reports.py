"""Drill: the README's operator command alone, with no report flag, leaves report.html and junit.xml beside
its verdict (the root pytest.ini's `gonogo_reports`)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

from _drill import REPO_ROOT, RUN_TIMEOUT_S, target_file, worker_stack

stack = worker_stack()


def test_the_operator_command_alone_leaves_the_reports(stack, tmp_path):
    out = tmp_path / "out"
    verdict = out / "verdict.json"
    # As the README has it (`pytest -m "smoke or postdeploy" --target ...`); --verdict-json only keeps this
    # run's outputs out of the repository's reports/.
    argv = [sys.executable, "-m", "pytest", "-m", "smoke or postdeploy", "--target", str(target_file(stack)),
            "--verdict-json", str(verdict)]
    proc = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert verdict.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(verdict.read_text())
    assert proc.returncode == 0 and data["verdict"] == "GO", proc.stdout[-3000:]
    assert data["stages"] == ["smoke", "postdeploy"]

    html, junit = out / "report.html", out / "junit.xml"
    assert html.is_file() and junit.is_file(), sorted(p.name for p in out.iterdir())
    # The HTML report opens on the verdict and is self-contained (no stylesheet beside it).
    page = html.read_text()
    assert '<h1 id="title">GO ' in page, page[:1000]
    assert not (out / "assets").exists() and "<link" not in page
    # JUnit: every test that ran, each case of a criterion carrying it as a property.
    suite = ET.parse(junit).getroot()
    cases = suite.findall(".//testcase")
    # The runbook's limits are criteria judged from measures, not tests: JUnit has no case for them.
    limits = {limit["id"] for limit in (data.get("comparison") or {}).get("limits", [])}
    tested = [c for c in data["criteria"] if c["id"] not in limits]
    ran = sum(len(c["tests"]) for c in tested)
    assert len(cases) == ran, (len(cases), ran)
    criteria = {p.get("value") for case in cases for p in case.findall("./properties/property")
                if p.get("name") == "criterion"}
    assert criteria == {c["id"] for c in tested}
    # Where the run says it put them.
    assert f"file://{html}" in proc.stdout or str(html) in proc.stdout, proc.stdout[-2000:]
