"""A sweep's report.html (farmsim.analysis.sweep_report): what was swept, the recommendation, the
plots, the failed runs and the summary, every text from the user escaped, the figures bounded
whatever the size of the grid.

One real license what-if sweep (3 counts x 3 replications) is rendered whole; the other pages
are of made-up sweeps (test_sweep_plots.synthetic), most with the PNG encoding of each figure
replaced by a record of it (the plots are still drawn), so the module runs in a few seconds.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pytest

import farmsim
from farmsim._progress import hms
from farmsim.analysis import sweep_report
from farmsim.analysis.sweep_plots import MAX_LINES
from farmsim.analysis.sweep_report import (
    MAX_ROWS,
    render_sweep_report,
    write_sweep_report,
)
from farmsim.sweeps import Axis, Sweep
from farmsim.sweeps.runs import RunOutcome
from tests.unit.analysis.test_sweep_plots import SIZE, synthetic

ROOT = Path(__file__).resolve().parents[3]
LICENSES = ROOT / "scenarios" / "license_whatif.yaml"
HOSTILE = "<script>alert(1)</script>"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def whatif() -> Sweep:
    return farmsim.license_whatif(LICENSES, "nuke", [6, 10, 14], replications=3,
                                  delay_cost_per_hour=30, jobs=1)


@pytest.fixture(scope="module")
def page(whatif) -> str:
    return render_sweep_report(whatif)


@pytest.fixture
def figures(monkeypatch) -> list[dict]:
    """The report's figures, recorded instead of encoded as PNG: size (inches), caption,
    title, and the Axes' legends."""
    seen: list[dict] = []

    def record(ax, caption):
        fig = ax.figure.figure
        seen.append({"size": tuple(fig.get_size_inches()), "caption": caption,
                     "title": ax.get_title(), "axes": fig.get_axes(), "legends": fig.legends})
        return ["<figure>", f"<figcaption>{html.escape(caption)}</figcaption>", "</figure>"]

    monkeypatch.setattr(sweep_report, "_figure", record)
    return seen


def _section(page: str, heading: str) -> str:
    """The HTML from ``<h2>heading`` to the next ``<h2>`` (or the end)."""
    start = page.index(f"<h2>{heading}")
    end = page.find("<h2>", start + 4)
    return page[start:end if end >= 0 else len(page)]


def _rows(table_html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", table_html, flags=re.S)


# ---------------------------------------------------------------------------- a real what-if


def test_the_report_opens_with_the_recommendation_and_a_row_per_count(whatif, page):
    rec = whatif.recommendation
    lines = rec.lines()
    assert lines
    section = _section(page, "Recommendation")
    for line in lines:
        assert f"<li>{html.escape(line)}</li>" in section
    # first the recommendation, then what was swept, the plots and the summary
    order = [page.index(f"<h2>{h}") for h in ("Recommendation", "What was swept", "Plots",
                                               "Summary")]
    assert order == sorted(order)
    rows = _rows(section)
    assert len(rows) == 1 + 3  # the heading and a row per count
    assert "job_turnaround_s.<wbr>p95 [95% interval]" in rows[0]
    for row, count, r in zip(rows[1:], (6, 10, 14), rec.rows, strict=True):
        assert row.split("</th>")[0].endswith(f">{count}")
        assert ("yes" if r["meets"] else "no") in row
        assert ('class="recommended"' in row) == (
            r["point"] in {rec.cheapest, rec.cheapest_meeting, *rec.meets.values()})
        # the total cost's mean and interval, in dollars
        total = f"${r['total_cost_usd']:,.0f}" if r["total_cost_usd"] >= 1000 else (
            f"${r['total_cost_usd']:,.2f}")
        assert total in row
    assert rec.cheapest is not None
    assert sum('class="recommended"' in row for row in rows) >= 1


def test_the_report_says_what_was_swept_and_how(whatif, page):
    swept = _section(page, "What was swept")
    assert "<th>farm.limits.nuke.maxCount</th>" in swept
    assert "<td>6, 10, 14</td>" in swept
    for cells in ("<th>replications</th><td>3 per point</td>",
                  "<th>runs</th><td>9, of which 0 failed</td>",
                  "<th>common random numbers</th><td>yes: paired differences</td>",
                  "<th>confidence level</th><td>95%</td>",
                  "<th>cost of delay</th><td>$30.00 per job-hour</td>",
                  "<th>limit</th><td>nuke</td>",
                  f"<th>seed</th><td>{whatif.seed}</td>"):
        assert cells in swept, cells
    assert re.search(r"Timing: 9 runs ran one after another in one process; the sweep took "
                     r"[0-9.]+ s; a run ", swept)
    assert "<title>farmsim sweep: license_whatif</title>" in page
    assert "Runs that failed" not in page


def test_the_report_has_its_three_figures_as_images(page):
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)">', page)
    assert page.count("<figure>") == len(images) == 3
    for data, _ in images:
        assert base64.b64decode(data).startswith(PNG)
    # under the recommendation, its target against the license count and cost against service
    key = _section(page, "Recommendation")
    assert key.count("<figure>") == 1
    assert re.search(r'alt="job_turnaround_s.p95 \(95% interval, 3 replications\)"', key)
    caption = re.search(r"<figcaption>(.*?)</figcaption>", key)[1]
    assert caption.startswith("Left: job_turnaround_s.p95 against farm.limits.nuke.maxCount")
    assert "the dashed line is the target job_turnaround_s.p95 &lt;= 4h" in caption
    assert "Right: the cost per run of workers, licenses and delay against" in caption
    assert "Pareto front" in caption
    # then the other headline metrics against the count, and the paired differences of p95
    plots = _section(page, "Plots")
    alts = [alt for _, alt in re.findall(r'<img src="data:image/png;base64,([^"]+)" '
                                         r'alt="([^"]*)">', plots)]
    assert alts[0] == "job_turnaround_s.mean (95% interval, 3 replications)"
    assert alts[1].startswith("Change in job_turnaround_s.p95")
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", plots)
    assert captions[0].startswith("Headline metrics against farm.limits.nuke.maxCount")
    assert "paired by replication (common random numbers)" in captions[1]


def test_the_summary_has_a_row_per_point_with_means_and_intervals(whatif, page):
    summary = _section(page, "Summary")
    rows = _rows(summary)
    assert len(rows) == 1 + len(whatif.points)
    heads = re.findall(r"<th>(.*?)</th>", rows[0])
    assert heads[:3] == ["point", "farm.<wbr>limits.<wbr>nuke.<wbr>maxCount", "runs with values"]
    assert "job_turnaround_s.<wbr>p95" in heads and "total_cost_usd" in heads
    for p, row in zip(whatif.points, rows[1:], strict=True):
        iv = whatif.interval("job_turnaround_s.p95", p.index)
        mean = " ".join(hms(iv.mean).split()[:2])
        low = ("-" if iv.low < 0 else "") + " ".join(hms(abs(iv.low)).split()[:2])
        assert f">{p.values[0]}</td>" in row and ">3 of 3</td>" in row
        assert f'{mean}<br><span class="ci">[{low}, ' in row


# ---------------------------------------------------------------------------- made-up sweeps


def test_failed_runs_are_listed_and_hostile_text_is_escaped(figures):
    sweep = synthetic(scenario=HOSTILE, fail=(3, 1),
                      variants=("spot", "<img src=x onerror=alert(2)>", "a&b"))
    page = render_sweep_report(sweep)
    # nothing the user wrote gets into the page as markup
    assert "<script>" not in page and "<img src=x" not in page
    assert f"<h1>farmsim sweep: {html.escape(HOSTILE)}</h1>" in page
    assert f"<title>farmsim sweep: {html.escape(HOSTILE)}</title>" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page and "a&amp;b" in page
    failed = _section(page, "Runs that failed (1)")
    rows = _rows(failed)
    assert len(rows) == 2
    assert (f"<th>3: {SIZE}=8, variant=spot</th>" in rows[1] and ">1</td>" in rows[1]
            and ">101</td>" in rows[1] and "<td>failed</td>" in rows[1])
    assert "the policy raised &lt;b&gt;boom&lt;/b&gt;" in rows[1]
    assert "<th>runs</th><td>48, of which 1 failed</td>" in page
    # the point with a failed run has 3 of its 4 replications in the summary
    summary = _rows(_section(page, "Summary"))
    assert ">3 of 4</td>" in summary[1 + 3] and ">4 of 4</td>" in summary[1 + 2]
    # three figures: the target and cost-service under the recommendation, the other headline
    # metrics against the size, the differences
    assert [f["caption"].split(",")[0] for f in figures] == [
        f"Left: job_turnaround_s.p95 against {SIZE}",
        f"Headline metrics against {SIZE}: each point's mean (line)",
        f"The change in job_turnaround_s.p95 from each value of {SIZE} to the next"]
    assert [ax.get_title() for ax in figures[0]["axes"]] == [
        "job_turnaround_s.p95 (95% interval, 4 replications)",
        "total_cost_usd against job_turnaround_s.p95"]
    assert "job_turnaround_s.p95" not in [ax.get_title().split()[0] for ax in figures[1]["axes"]]
    # legends sit in their Axes: no figure has one of its own
    assert all(f["legends"] == [] for f in figures)


def test_a_large_grid_keeps_figures_and_tables_bounded(figures):
    sweep = synthetic(replications=2, sizes=tuple(range(1, 71)),
                      extra_axis=("farm.queues.comp.priority", (10, 20, 30, 40)),
                      with_recommendation=False)
    assert len(sweep.points) == 70 * 3 * 4 > MAX_ROWS
    page = render_sweep_report(sweep)
    # a figure of headline metrics per numeric axis (two), cost-service, differences
    assert len(figures) == 4
    for f in figures:
        width, height = f["size"]
        assert width <= 11 and height <= 14, f
        for ax in f["axes"]:
            if ax.get_visible():
                assert len([ln for ln in ax.get_lines() if ln.get_marker() == "o"]) <= MAX_LINES
    assert f"(the first {MAX_LINES} of 12)" in figures[0]["caption"]
    assert f"(the first {MAX_LINES} of 210)" in figures[1]["caption"]
    summary = _section(page, "Summary")
    assert len(_rows(summary)) == 1 + MAX_ROWS
    assert f"The first {MAX_ROWS} of 840 points." in summary
    # without a recommendation: no such section; differences of the mean turnaround
    assert "<h2>Recommendation" not in page
    assert figures[2]["caption"].startswith("The cost per run of workers, licenses and delay "
                                            "against job_turnaround_s.p95")
    assert figures[3]["caption"].startswith("The change in job_turnaround_s.mean from each "
                                            f"value of {SIZE}")


def test_a_sweep_whose_runs_all_failed_lists_them_and_draws_nothing(figures):
    axis = Axis("farm.limits.nuke.maxCount", ("farm.limits.nuke.maxCount",), (4, 8))
    outcomes = [RunOutcome(f"k{p}{r}", p, r, 7 + r, "failed", error=f"no license {p}")
                for p in range(2) for r in range(2)]
    sweep = Sweep(scenario="broken", seed=1, axes=[axis], replications=2,
                  common_random_numbers=False, outcomes=outcomes)
    page = render_sweep_report(sweep)
    assert figures == [] and "<h2>Plots" not in page
    assert "<p>No run gave any metric.</p>" in page
    assert len(_rows(_section(page, "Runs that failed (4)"))) == 1 + 4
    assert html.escape("no: independent runs (Welch's intervals)") in page


def test_a_sweep_without_axes_has_one_point(figures):
    outcomes = [RunOutcome(f"k{r}", 0, r, r, "ok", metrics={
        "job_turnaround_s.p95": 3600.0 + 60 * r, "job_turnaround_s.mean": 1800.0,
        "cost_usd.total": 12.0}) for r in range(3)]
    sweep = Sweep(scenario="as is", seed=1, axes=[], replications=3,
                  common_random_numbers=True, outcomes=outcomes)
    page = render_sweep_report(sweep)
    assert "<p>No axis: one point, the scenario as it is.</p>" in page
    assert len(figures) == 2  # headline metrics and cost-service: no step to difference
    assert len(_rows(_section(page, "Summary"))) == 2


def test_write_and_save_put_report_html_in_the_folder(figures, tmp_path):
    sweep = synthetic(replications=2)
    written = write_sweep_report(sweep, tmp_path)
    assert written == tmp_path / "report.html"
    assert "<h2>Recommendation</h2>" in written.read_text(encoding="utf-8")
    folder = sweep.save(tmp_path / "saved")
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<h2>Recommendation</h2>" in text
    assert len(figures) == 6  # both pages drew their three figures


# ---------------------------------------------------------------------------- in a browser


def test_the_report_renders_in_a_headless_browser(page, tmp_path):
    """(Skipped without Chromium: tests/test_browser_pages.render_in_browser says so.)"""
    from tests.test_browser_pages import (
        assert_figures_drawn,
        assert_not_blank,
        headings,
        render_in_browser,
    )

    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    # WHEN a browser opens the what-if's report
    dom, png = render_in_browser(path, tmp_path)
    # THEN it has the report's headings, its three figures loaded, decoded and laid out, and
    # its screenshot shows a page
    assert headings(dom, "h1") == ["farmsim sweep: license_whatif"]
    assert headings(dom, "h2") == ["Recommendation", "What was swept", "Plots", "Summary"]
    alts = [html.unescape(a) for a in re.findall(r'<img src="data:[^"]+" alt="([^"]*)">', page)]
    assert len(alts) == 3
    assert_figures_drawn(dom, alts)
    assert_not_blank(png)
