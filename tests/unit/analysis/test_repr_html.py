"""What a notebook shows of a result and of a comparison: ``_repr_html_``, a compact summary
from the summary (or the metrics) alone, every text escaped."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import farmsim
from farmsim._progress import hms
from farmsim.analysis.comparison import Comparison, format_metric, metric_rows
from farmsim.record.base import _summary_html

ROOT = Path(__file__).resolve().parents[3]


class _Tables(HTMLParser):
    """The tables of an HTML fragment: per table, its rows, each a list of (tag, cell text,
    bold) cells; and every start tag's attributes."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: list[list[list[tuple[str, str, bool]]]] = []
        self.attributes: list[tuple[str, dict[str, str | None]]] = []
        self._cell: list[str] | None = None
        self._tag = ""
        self._bold = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.attributes.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell, self._tag, self._bold = [], tag, False
        elif tag == "b":
            self._bold = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append((self._tag, "".join(self._cell), self._bold))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _rows(table) -> dict[str, str]:
    """A two-column table as {heading: value}."""
    return {row[0][1]: row[1][1] for row in table}


@pytest.fixture(scope="module")
def quickstart():
    return farmsim.simulate(ROOT / "scenarios" / "quickstart.yaml", until="2h")


def _expected(s) -> dict[str, str]:
    """What the summary table must say of the summary ``s``, computed here."""
    jobs, cost = s["jobs"], s["cost_usd"]
    wait, turnaround = s["task_wait_s"], s["job_turnaround_s"]
    return {
        "scenario": f"quickstart (seed {s['seed']})",
        "simulated": "2h",
        "jobs": (f"{jobs['submitted']} submitted: {jobs['succeeded']} succeeded, "
                 f"{jobs['failed']} failed, {jobs['suspended']} suspended, "
                 f"{jobs['unfinished']} unfinished"),
        "task runs": f"{s['task_runs']:,}",
        "turnaround (jobs that succeeded)": (f"mean {hms(turnaround['mean'])}, "
                                             f"p95 {hms(turnaround['p95'])}"),
        "task wait": f"mean {hms(wait['mean'])}, p95 {hms(wait['p95'])}",
        "worker-hours": f"{s['worker_hours']:.1f}",
        "worker utilisation": f"{100 * s['worker_utilization']:.1f}%",
        "cost": (f"${cost['total']:,.2f} (workers ${cost['workers']:,.2f}, licenses "
                 f"${cost['licenses']:,.2f})"),
    }


def test_a_result_shows_its_headline_numbers_and_its_limits(quickstart):
    # GIVEN the quickstart (one limit, nuke: 2 licenses) and its summary
    s = quickstart.summary()
    assert s["jobs"]["suspended"] == 1 and s["task_runs"] > 100
    # WHEN a notebook shows it
    text = quickstart._repr_html_()
    page = _Tables(text)
    # THEN it names the result and the scenario, and its first table holds the headline numbers
    assert text.startswith('<div class="farmsim-result"><p><strong>farmsim Result</strong>: '
                           "quickstart</p>")
    assert len(page.tables) == 2
    assert _rows(page.tables[0]) == _expected(s)
    # AND its second table is the limits': max, peak, utilisation, blocked task-hours
    nuke = s["limits"]["nuke"]
    assert [[text for _, text, _ in row] for row in page.tables[1]] == [
        ["limit", "max", "peak", "utilisation", "blocked task-hours"],
        ["nuke", "2", str(nuke["peak"]), f"{100 * nuke['utilization']:.1f}%",
         f"{nuke['blocked_task_hours']:.1f}"]]


def test_a_result_read_back_from_its_folder_shows_the_same(quickstart, tmp_path):
    # GIVEN the quickstart saved and read back
    saved = farmsim.Result.load(quickstart.save(tmp_path / "run"))
    # WHEN a notebook shows it  THEN it is the live result's summary, with its folder
    page = _Tables(saved._repr_html_())
    rows = _rows(page.tables[0])
    assert rows.pop("results folder") == str(tmp_path / "run")
    assert rows == _expected(quickstart.summary())
    assert page.tables[1] == _Tables(quickstart._repr_html_()).tables[1]
    assert saved._repr_html_().startswith(
        '<div class="farmsim-result"><p><strong>farmsim SavedResult</strong>: quickstart</p>')


def test_a_result_of_a_farm_without_limits_has_no_limits_table():
    # GIVEN a run of a farm without limits
    run = farmsim.simulate(ROOT / "scenarios" / "trace_replay.yaml", until="10m")
    assert not run.summary()["limits"]
    # THEN it shows one table, that names no limit
    text = run._repr_html_()
    assert len(_Tables(text).tables) == 1
    assert "limit" not in text and "blocked" not in text


def test_a_result_escapes_every_text(quickstart):
    # GIVEN a summary whose scenario and limit names hold markup
    s = quickstart.summary()
    s["scenario"] = '<script>alert("x")</script> & co'
    s["limits"] = {"<i>nuke</i>": s["limits"]["nuke"]}
    # WHEN it is shown  THEN the markup is text
    text = _summary_html(s, folder="/tmp/<b>run</b>")
    assert "<script>" not in text and "<i>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in text
    page = _Tables(text)
    assert _rows(page.tables[0])["scenario"].startswith('<script>alert("x")</script> & co (seed')
    assert _rows(page.tables[0])["results folder"] == "/tmp/<b>run</b>"
    assert page.tables[1][1][0][1] == "<i>nuke</i>"


def test_a_saved_summary_without_newer_keys_is_shown(quickstart):
    # GIVEN a summary.json of an older farmsim, without limits, fairness, utilisation
    s = quickstart.summary()
    for key in ("limits", "fairness", "queues", "budgets"):
        s.pop(key)
    s["worker_utilization"] = None
    s["job_turnaround_s"] = {"mean": None, "p50": None, "p95": None, "p99": None}
    # THEN it shows what there is, with "-" for the numbers it lacks
    rows = _rows(_Tables(_summary_html(s)).tables[0])
    assert rows["worker utilisation"] == "-" and rows["turnaround (jobs that succeeded)"] == "-"


# ---------------------------------------------------------------------------- comparisons


@pytest.fixture(scope="module")
def comparison():
    from tests.unit.analysis.test_comparison import arrivals_data

    scenario = farmsim.scenario_from_dict(arrivals_data(), base_dir=ROOT / "scenarios")
    return farmsim.compare(scenario, ["fifo", "more"], until="2h")


def test_a_comparison_shows_its_metric_table_with_the_best_in_bold(comparison):
    # WHEN a notebook shows a comparison
    text = comparison._repr_html_()
    (table,) = _Tables(text).tables
    # THEN it is a table of a column per variant and a row per metric, as the report
    # formats them, the best of each row (and only it) in bold
    assert [cell for _, cell, _ in table[0]] == ["metric", "fifo", "more"]
    rows = metric_rows(comparison.metrics())
    assert len(table) == len(rows) + 1 == len(comparison.table()) + 1
    for row, shown in zip(rows, table[1:], strict=True):
        assert shown[0][1] == row.label
        assert [cell for _, cell, _ in shown[1:]] == [
            format_metric(row.kind, row.values[name]) for name in comparison.names]
        assert [bold for _, _, bold in shown[1:]] == [
            name in row.best() for name in comparison.names], row.label
    assert any(bold for row in table for _, _, bold in row)
    # AND what each variant sets is the tooltip of its column
    titles = [a.get("title") for tag, a in _Tables(text).attributes if tag == "th" and "title" in a]
    assert titles == ["(the scenario as it is)", "farm.fleets.linux.simulation.workers: 6"]
    assert text.startswith('<div class="farmsim-comparison"><p><strong>farmsim Comparison'
                           "</strong>: arrivals, 2 variants, seed 5, simulated 2h each</p>")


def test_a_comparison_escapes_every_text(comparison):
    # GIVEN a comparison whose scenario name and variants' sets hold markup
    variants = [type(v)(v.name, v.description, {'a"><script>x</script>': "<u>"})
                for v in comparison.variants]
    text = Comparison("<script>&", 1, variants, comparison.results)._repr_html_()
    # THEN the markup is text, in the page and in the tooltips
    assert "<script>" not in text and "<u>" not in text
    assert "&lt;script&gt;&amp;" in text
    titles = {a["title"] for tag, a in _Tables(text).attributes if tag == "th" and "title" in a}
    assert titles == {'a"><script>x</script>: <u>'}


def test_showing_a_result_or_a_comparison_plots_nothing():
    # GIVEN a fresh interpreter  WHEN a result and a comparison are shown as HTML
    code = (
        "import sys, farmsim\n"
        "from tests.unit.analysis.test_comparison import arrivals_data\n"
        f"r = farmsim.simulate({str(ROOT / 'scenarios' / 'quickstart.yaml')!r}, until='30m')\n"
        "assert 'farmsim Result' in r._repr_html_()\n"
        "c = farmsim.compare(farmsim.scenario_from_dict(arrivals_data(), base_dir="
        f"{str(ROOT / 'scenarios')!r}), ['fifo', 'more'], until='30m')\n"
        "assert 'farmsim Comparison' in c._repr_html_()\n"
        "print('matplotlib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120, cwd=ROOT).stdout
    # THEN matplotlib was never imported
    assert out.strip() == "False"
