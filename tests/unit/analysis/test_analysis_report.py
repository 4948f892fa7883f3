"""farmsim.analysis.report: one self-contained HTML page with the summary and every plot."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import farmsim
from farmsim._progress import hms
from farmsim.analysis import plots, render_report, write_report
from farmsim.analysis.report import PLOTS, SECTIONS, SHOWN_EMPTY

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
    assert len(PLOTS) == 10
    assert page.count('<img src="data:image/png;base64,') == 10
    assert page.count("<figcaption>") == 10


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
    # GIVEN a run of a farm without limits, where no two jobs of equal priority competed
    no_limits = farmsim.simulate(ROOT / "scenarios" / "trace_replay.yaml", until="1h")
    assert not no_limits.catalog.limit_names
    assert all(g["jain"] is None for by in no_limits.summary()["fairness"]["worker_share"].values()
               for g in by.values())

    # WHEN its report is rendered
    page = render_report(no_limits)
    # THEN the limit panel is not there, nor a limits table, nor a line saying why
    assert 'alt="Limit usage"' not in page and "Units of each limit" not in page
    assert "<h3>Limits</h3>" not in page and "no limits" not in page
    # AND neither is the worker-share panel (no Jain's index to draw): the Fairness section's
    # table tells of the jobs that competed; every other plot is there
    assert 'alt="Worker share among jobs of equal priority"' not in page
    assert "<h3>Worker share among jobs of equal priority</h3>" in page
    assert page.count('<img src="data:image/png;base64,') == len(PLOTS) - 2 == 8
    assert "Not drawn" not in page


def _alts(page: str) -> list[str]:
    return re.findall(r'<img src="data:image/png;base64,[^"]*" alt="([^"]*)"', page)


#: A farm whose fleet and limit are free (tests/unit/analysis/test_analysis_plots.py's), and
#: what its report leaves out: (workers, limits, workload, until) -> the lines that say why.
EMPTY_RUNS = {
    "no jobs": ((2, True, "workload:\n  jobs: []\n", None), [
        ("Plots", "Not drawn, no jobs submitted: Tasks by status; Queue backlog (READY tasks); "
                  "Worker timeline."),
        ("Fairness", "Not drawn, no jobs submitted: Job turnaround by priority (jobs that "
                     "succeeded); Task wait by priority; Worker share among jobs of equal "
                     "priority.")]),
    "no workers": ((0, False, "jobs", 3600), [
        ("Fleets", "Not drawn, no workers in this farm: Fleet size (workers online); Workers by "
                   "status; Cost over time (cumulative).")]),
}


@pytest.fixture(scope="module")
def empty_pages(tmp_path_factory):
    """The report of each run of EMPTY_RUNS, and the run, by name."""
    from tests.unit.analysis.test_analysis_plots import FARM, LIMITS, _jobs

    folder = tmp_path_factory.mktemp("empty")
    pages = {}
    for name, ((workers, limits, workload, until), _) in EMPTY_RUNS.items():
        path = folder / f"{name.replace(' ', '_')}.yaml"
        path.write_text(FARM.format(most=max(workers, 1), workers=workers)
                        + (LIMITS if limits else "")
                        + (_jobs("", "") if workload == "jobs" else workload), encoding="utf-8")
        run = farmsim.simulate(path, until=until)
        pages[name] = (run, render_report(run))
    return pages


@pytest.mark.parametrize("name", list(EMPTY_RUNS))
def test_report_leaves_out_the_panels_with_nothing_to_show(empty_pages, name):
    # GIVEN a run where little happened, and what each plot of it says
    run, page = empty_pages[name]
    said = {plot(run).get_title(): plots._said(plot(run)) for plot, _ in PLOTS}
    # THEN every panel drawn has something to show, or says an outcome the reader looks for
    # there (no job succeeded, no task was assigned); the others are not drawn
    drawn = _alts(page)
    assert drawn == [title for title, says in said.items()
                     if says is None or says in SHOWN_EMPTY]
    assert set(drawn) < set(said)
    # AND a line in the section says why once, for panels left out because the run had no
    # jobs, ended at time 0 or had no workers; the free farm's cost panel is left out silently
    for heading, line in EMPTY_RUNS[name][1]:
        section = page[page.index(f"<h2>{heading}</h2>"):]
        section = section[:section.index("<h2>", 4)] if "<h2>" in section[4:] else section
        assert f"<p>{line}</p>" in section
    assert page.count("Not drawn") == len(EMPTY_RUNS[name][1])
    assert 'alt="Cost over time (cumulative)"' not in page
    assert "cost nothing" not in page


def test_report_of_a_run_without_jobs_has_no_empty_tables(empty_pages):
    # GIVEN a run without jobs  THEN its Fairness section has no table of waits by priority or
    # queue with a header and no rows, and no worker-share paragraph: only the line saying why
    _, page = empty_pages["no jobs"]
    fairness = page[page.index("<h2>Fairness</h2>"):page.index("<h2>Fleets</h2>")]
    assert "<table>" not in fairness and "<h3>" not in fairness
    assert "Not drawn, no jobs submitted" in fairness


# ---------------------------------------------------------------------------- fleets

FLEET_ALTS = ['alt="Fleet size (workers online)"', 'alt="Workers by status"',
              'alt="Cost over time (cumulative)"']


def _fleets_section(page: str) -> str:
    """The page from the Fleets heading on (it is the last section)."""
    assert page.count("<h2>Fleets</h2>") == 1
    return page[page.index("<h2>Fleets</h2>"):]


def test_report_has_a_fleets_section_with_a_table_and_the_fleet_plots(result, page):
    # GIVEN the quickstart's report (one fleet, linux: 8 workers for 2 hours at $0.68)
    assert [heading for heading, _ in SECTIONS] == ["Plots", "Fairness", "Fleets"]
    assert [plot for plot, _ in dict(SECTIONS)["Fleets"]] == [
        plots.fleet_size, plots.workers_busy, plots.fleet_cost]
    # THEN it closes with a Fleets section: a table of the fleets, then their plots in order
    fleets = _fleets_section(page)
    assert page.index("<h2>Plots</h2>") < page.index("<h2>Fleets</h2>")
    table = fleets[:fleets.index("</table>")]
    assert "<th>peak workers online</th>" in table and "<th>cost per worker-hour</th>" in table
    s = result.summary()
    assert ("<tr><td>linux</td><td class=\"num\">8</td>"
            f"<td>{s['worker_hours']:,.1f}</td><td>$0.68</td>"
            f"<td>${s['cost_usd']['workers']:,.2f}</td></tr>") in table
    at = [fleets.index(alt) for alt in FLEET_ALTS]
    assert at == sorted(at) and at[0] > len(table)
    assert "Workers online in each fleet over time" in fleets
    # AND the plots of the first section are not in it
    assert 'alt="Tasks by status"' not in fleets


def test_report_of_a_loaded_result_has_the_fleets_section(result, tmp_path):
    # GIVEN the quickstart saved and loaded back, from a summary.json that keeps no start, fleet
    # names or prices (as this release's)
    from tests.unit.analysis.test_analysis_plots import _with_summary

    folder = _with_summary(result.save(tmp_path / "saved"), tmp_path / "copy", keep=False)
    # WHEN its report is rendered
    fleets = _fleets_section(render_report(farmsim.Result.load(folder)))
    # THEN the Fleets section is there, its fleet named by id, at the price its cost and
    # worker-hours give
    s = result.summary()
    fleet_id = str(result.catalog.fleet_ids[0])
    assert (f"<tr><td>{fleet_id}</td><td class=\"num\">8</td>"
            f"<td>{s['worker_hours']:,.1f}</td><td>$0.68</td>"
            f"<td>${s['cost_usd']['workers']:,.2f}</td></tr>") in fleets
    assert all(alt in fleets for alt in FLEET_ALTS)


def test_report_of_a_farm_without_workers_says_so_in_the_fleets_section(tmp_path):
    from tests.unit.analysis.test_analysis_plots import FARM

    path = tmp_path / "none.yaml"
    path.write_text(FARM.format(most=1, workers=0), encoding="utf-8")
    fleets = _fleets_section(render_report(farmsim.simulate(path, until=3600)))
    assert "<table>" not in fleets
    assert "<img " not in fleets
    assert fleets.startswith("<h2>Fleets</h2>\n<p>Not drawn, no workers in this farm: Fleet "
                             "size (workers online); Workers by status; Cost over time "
                             "(cumulative).</p>\n</body>")


def test_a_summary_that_keeps_start_fleets_and_prices_gives_the_live_report(result, tmp_path,
                                                                             monkeypatch):
    # GIVEN summary.json holding the scenario's start, its fleets (name, id, price) and its
    # limits' prices (what the plots read from a results folder, if it has them: this release's
    # summary has none of them, so a loaded result is drawn against elapsed time, with fleets
    # named by id)
    from farmsim.record.result import Result

    plain = Result.summary

    def summary(self):  # (what a summary that has them already holds is left as it is)
        s = plain(self)
        c = self.catalog
        s.setdefault("start", c.start)
        stopped = np.where(np.isnan(c.worker_stopped), c.end_time, c.worker_stopped)
        hours = np.bincount(c.worker_fleet, weights=np.nan_to_num(stopped - c.worker_online),
                            minlength=len(c.fleet_names)) / 3600
        s.setdefault("fleets", {
            name: {"fleet_id": str(fid), "cost_per_hour": price, "worker_hours": float(h),
                   "cost": float(h) * price}
            for name, fid, price, h in zip(c.fleet_names, c.fleet_ids, c.fleet_cost_per_hour,
                                           hours, strict=True)})
        for name, price in zip(c.limit_names, c.limit_cost_per_hour, strict=True):
            s["limits"][name].setdefault("cost_per_hour", price)
        return s

    monkeypatch.setattr(Result, "summary", summary)
    # WHEN the run is saved, loaded back and its report rendered
    loaded = farmsim.Result.load(result.save(tmp_path / "saved"))
    # THEN it is the live result's report, byte for byte
    assert render_report(loaded) == render_report(result)


def test_report_prices_each_queues_work_in_the_fleets_section(result, page):
    # GIVEN the quickstart's report (queues render and comp on one fleet)
    fleets = _fleets_section(page)
    queues = result.summary()["queues"]
    # THEN the Fleets section has a table of each queue's busy worker-hours and cost, and says
    # what belongs to no queue
    table = fleets[fleets.index("<h3>Cost by queue</h3>"):]
    table = table[:table.index("</table>")]
    for name in ("render", "comp"):
        q = queues[name]
        assert (f"<tr><td>{name}</td><td>{q['worker_hours']:,.1f}</td>"
                f"<td>${q['worker_cost']:,.2f}</td><td>$0.00</td>"
                f"<td>${q['cost']:,.2f}</td></tr>") in table
    total = result.summary()["cost_usd"]["total"]
    rest = total - queues["render"]["cost"] - queues["comp"]["cost"]
    assert (f"Idle worker time and owned licenses, which belong to no queue: ${rest:,.2f} of "
            f"the total ${total:,.2f}.") in fleets


def test_report_lists_the_budgets_and_the_actions_they_took(tmp_path):
    # GIVEN the quickstart with a $1 budget on its render queue that stops it at 50%
    scenario = farmsim.load_scenario(ROOT / "scenarios" / "quickstart.yaml").with_overrides({
        "farm.budgets": [{"displayName": "render cap", "usageTrackingResource": {
            "queue": "render"}, "approximateDollarLimit": 1, "actions": [
            {"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "thresholdPercentage": 50}]}]})
    result = farmsim.simulate(scenario, until="2h")
    budget = result.summary()["budgets"]["render cap"]
    (taken,) = budget["actions_taken"]

    # WHEN its report is rendered  THEN a Budgets table says what the budget counted and did
    page = render_report(result)
    table = page[page.index("<h3>Budgets</h3>"):]
    table = table[:table.index("</table>")]
    assert (f"<tr><td>render cap</td><td>render</td><td>$1.00</td>"
            f"<td>${budget['spent_usd']:,.2f}</td>") in table
    assert f"STOP_SCHEDULING_AND_COMPLETE_TASKS at 50% ({hms(taken['time'])})" in table


# ---------------------------------------------------------------------------- fairness


def test_report_has_a_fairness_section_with_its_tables_and_plots(result, page):
    # GIVEN the quickstart's report and summary
    fair = result.summary()["fairness"]
    assert [plot for plot, _ in dict(SECTIONS)["Fairness"]] == [
        plots.turnaround_by_priority, plots.wait_by_priority, plots.worker_share]
    # THEN a Fairness section comes between the plots and the fleets
    assert page.index("<h2>Plots</h2>") < page.index("<h2>Fairness</h2>") < page.index(
        "<h2>Fleets</h2>")
    section = page[page.index("<h2>Fairness</h2>"):page.index("<h2>Fleets</h2>")]
    # with wait and turnaround by priority band and by queue
    for band, wait in fair["task_wait_s"]["by_priority"].items():
        assert f"<tr><td>{band}</td><td class=\"num\">{wait['count']}</td>" in section
    render = fair["task_wait_s"]["by_queue"]["render"]
    assert (f"<tr><td>render</td><td class=\"num\">{render['count']}</td><td>mean "
            f"{hms(render['mean'])}, p50 {hms(render['p50'])}") in section
    # the longest wait, by task, job and queue
    longest = fair["longest_wait"]
    assert (f"<p>Longest wait: {hms(longest['wait_s'])}, task {longest['task_id']} of job "
            f"{longest['job']} ({longest['job_id']}, queue render, priority 50)") in section
    # Jain's index of each group of jobs of equal priority, from the summary
    group = fair["worker_share"]["render"]["50"]
    assert (f"<tr><td>render</td><td class=\"num\">50</td><td class=\"num\">{group['jobs']}"
            f"</td><td>{hms(group['contended_s'])}</td><td>{group['jain']:.2f}</td>") in section
    # and its three plots
    for alt in ("Job turnaround by priority (jobs that succeeded)", "Task wait by priority",
                "Worker share among jobs of equal priority"):
        assert f'alt="{alt}"' in section
    # AND the summary table opens with the lines farmsim run prints
    assert f"<tr><th>longest wait</th><td>{hms(longest['wait_s'])}: " in page
    assert f"<tr><th>fairness</th><td>Jain&#x27;s index {group['jain']:.2f} (queue render" in page
