"""farmsim.analysis.report: one self-contained HTML page with the summary and every plot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import farmsim
from farmsim.analysis import render_report, write_report
from farmsim.analysis.report import PLOTS

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def result():
    return farmsim.simulate(ROOT / "scenarios" / "quickstart.yaml", until="2h")


@pytest.fixture(scope="module")
def page(result, tmp_path_factory):
    path = write_report(result, tmp_path_factory.mktemp("report") / "report.html")
    assert path.name == "report.html" and path.is_file()
    return path.read_text(encoding="utf-8")


def test_report_embeds_every_plot_as_png(page):
    assert len(PLOTS) == 7
    assert page.count('<img src="data:image/png;base64,') == 7
    assert page.count("<figcaption>") == 7


def test_report_holds_the_summary_numbers(result, page):
    s = result.summary()
    assert f"<td class=\"num\">{s['tasks']}</td>" in page
    assert f"<td class=\"num\">{s['task_runs']}</td>" in page
    assert f"{s['jobs']['submitted']} submitted" in page
    assert f"{s['worker_hours']:.1f}" in page
    assert f"${s['cost_usd']['total']:,.2f}" in page
    assert f"{100 * s['worker_utilization']:.1f}%" in page
    assert "nuke" in page  # the limits table


def test_report_is_self_contained(page):
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)


def test_report_escapes_text(result, monkeypatch):
    monkeypatch.setattr(result.catalog, "name", "<script>x</script>")
    page = render_report(result)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_write_report_into_a_directory(result, tmp_path):
    assert write_report(result, tmp_path) == tmp_path / "report.html"


def test_report_has_a_limit_panel_when_the_farm_has_limits(result, page):
    # GIVEN the quickstart (one limit, nuke)  THEN its report draws the limit panel
    assert 'alt="Limit usage"' in page
    assert "Units of each limit in use" in page


def test_report_leaves_out_the_limit_panel_of_a_farm_without_limits():
    # GIVEN a run of a farm without limits
    no_limits = farmsim.simulate(ROOT / "scenarios" / "trace_replay.yaml", until="1h")
    assert not no_limits.catalog.limit_names

    # WHEN its report is rendered  THEN every other plot is there, the limit panel is not
    page = render_report(no_limits)
    assert page.count('<img src="data:image/png;base64,') == len(PLOTS) - 1 == 6
    assert 'alt="Limit usage"' not in page and "Units of each limit" not in page
    assert "<h3>Limits</h3>" not in page
