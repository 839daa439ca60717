"""The release page shows the soak window's chart: the SVG the soak stage attached, embedded as an image."""
from __future__ import annotations

import base64

from release import page
from release.steps.stage import charts_of


def _verdict(path: str) -> dict:
    chart = {"kind": "file", "title": "soak window 10:00:00Z-10:00:20Z", "path": path, "mime": "image/svg+xml"}
    shot = {"kind": "file", "title": "screenshot", "path": "/x.png", "mime": "image/png"}
    return {"criteria": [{"id": "no-p0-p1-errors", "tests": [{"evidence": [{"kind": "note", "title": "n"}, chart]}]},
                         {"id": "owner-flow", "tests": [{"evidence": [shot]}]}]}


def test_the_stage_step_keeps_the_svg_charts_of_its_verdict(tmp_path):
    path = "/r/soak/artifacts/soak.svg"
    assert charts_of(_verdict(path)) == [
        {"criterion": "no-p0-p1-errors", "title": "soak window 10:00:00Z-10:00:20Z", "path": path}]
    assert charts_of({"criteria": []}) == []


def test_the_page_embeds_each_soak_attempts_chart_as_an_image(tmp_path):
    svg = tmp_path / "soak.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>abort 10:00:12</text></svg>')
    gone = str(tmp_path / "gone.svg")
    view = {"attempts": [
        {"letter": "F", "name": "soak", "attempt": 1, "evidence": {"charts": charts_of(_verdict(str(svg)))}},
        {"letter": "F", "name": "soak", "attempt": 2, "evidence": {"charts": charts_of(_verdict(gone))}},
        {"letter": "A", "name": "predeploy", "attempt": 1, "evidence": {}}]}
    html = page._charts(view, tmp_path)
    data = base64.b64encode(svg.read_bytes()).decode()
    assert f'<img alt="soak window 10:00:00Z-10:00:20Z" src="data:image/svg+xml;base64,{data}">' in html
    assert "<figcaption>F soak: soak window" in html and "<svg" not in html  # an image: nothing in it runs
    assert 'F soak #2: soak window 10:00:00Z-10:00:20Z: <a href="gone.svg">chart</a> (not embedded)' in html
    assert "no chart yet" in page._charts({"attempts": []}, tmp_path)
    # A release that ended before its soak (a NO-GO at smoke) says so, not that a chart is still to come.
    ended_early = {"state": "ended", "attempts": [{"letter": "D/E", "name": "smoke", "attempt": 1, "evidence": {}}]}
    assert "no soak ran in this release" in page._charts(ended_early, tmp_path)
