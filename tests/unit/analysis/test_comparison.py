"""farmsim.compare and the Comparison: every variant on the same arrivals, the metrics table,
saving and reading back a comparison's folder, and the comparison report and plots."""

from __future__ import annotations

import io
import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import farmsim
from farmsim._api import _Labelled
from farmsim.analysis import (
    render_comparison_report,
    variant_jobs_running,
    variant_turnaround_ecdf,
    variant_wait_by_priority,
    variant_worker_share,
    variant_workers_busy,
    write_comparison_report,
)
from farmsim.analysis.comparison import (
    COMPARISON,
    Comparison,
    MetricRow,
    format_metric,
    metric_rows,
    variant_metrics,
)
from farmsim.errors import ResultsError, ScenarioError, UsageError

ROOT = Path(__file__).resolve().parents[3]
SCHEDULING = "farm.queues.shots.schedulingConfiguration"


def arrivals_data() -> dict[str, Any]:
    """A queue of 4 workers fed by a Poisson stream of renders of two priorities, and four
    variants: the three scheduling configurations and one with more workers."""
    return {
        "name": "arrivals",
        "seed": 5,
        "horizon": "3h",
        "farm": {
            "displayName": "studio",
            "queues": [{"displayName": "shots", "fleets": ["linux"]}],
            "fleets": [{"displayName": "linux", "maxWorkerCount": 6,
                        "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                        "simulation": {"workers": 4, "cost_per_hour": 1.0}}],
        },
        "workload": {"arrivals": [{
            "name": "renders", "queue": "shots", "process": {"poisson": {"per_hour": 8}},
            "end": "2h", "template": "templates/render.yaml",
            "parameters": {"Shot": {"choice": ["sh010", "sh020"]},
                           "Frames": {"frames": {"dist": "uniform", "low": 4, "high": 12}}},
            "priority": {"choice": [50, 80], "weights": [3, 1]}}]},
        "runtimes": [{"match": {}, "duration": {"dist": "lognormal", "median": "3m",
                                                "p95": "8m"}, "failure_probability": 0.1}],
        "variants": [
            {"name": "fifo", "description": "the default"},
            {"name": "balanced", "set": {SCHEDULING: {"priorityBalanced": {}}}},
            {"name": "weighted", "set": {f"{SCHEDULING}.weightedBalanced": {}}},
            {"name": "more", "set": {"farm.fleets.linux.simulation.workers": 6}},
        ],
    }


@pytest.fixture(scope="module")
def scenario():
    return farmsim.scenario_from_dict(arrivals_data(), base_dir=ROOT / "scenarios",
                                      source="arrivals.yaml")


@pytest.fixture(scope="module")
def comparison(scenario):
    return farmsim.compare(scenario)


@pytest.fixture(scope="module")
def saved(comparison, tmp_path_factory):
    return comparison.save(tmp_path_factory.mktemp("comparison") / "out")


# ---------------------------------------------------------------------------- the same arrivals


def test_every_variant_sees_the_same_submissions(comparison):
    # GIVEN the runs of four variants of a scenario whose jobs an arrival stream draws
    jobs = {name: r.jobs for name, r in comparison.results.items()}
    first = jobs["fifo"]
    assert len(first) > 10
    # THEN each submitted the same jobs (names, priorities, sizes) at the same times
    for name, frame in jobs.items():
        assert frame["name"].tolist() == first["name"].tolist(), name
        assert frame["priority"].tolist() == first["priority"].tolist(), name
        assert frame["tasks"].tolist() == first["tasks"].tolist(), name
        np.testing.assert_array_equal(frame["submitted_at"].to_numpy(),
                                      first["submitted_at"].to_numpy())
    # AND the variants did schedule them differently (the comparison is not of one run)
    ends = {name: tuple(frame["ended_at"].round(6).tolist()) for name, frame in jobs.items()}
    assert len(set(ends.values())) == len(ends)


def test_every_variant_draws_the_same_first_attempts(comparison):
    # GIVEN each variant's first attempts, by task
    def first_attempts(result):
        runs = result.task_runs
        runs = runs[(runs["attempt"] == 0) & runs["started_at"].notna()
                    & runs["ended_at"].notna()]
        return pd.DataFrame({"duration": (runs["ended_at"] - runs["started_at"]).to_numpy(),
                             "status": runs["status"].astype(str).to_numpy()},
                            index=runs["task_id"].astype(str).to_numpy()).sort_index()

    base = first_attempts(comparison["fifo"])
    for name in ("balanced", "weighted", "more"):
        other = first_attempts(comparison[name])
        common = base.index.intersection(other.index)
        assert len(common) > 0.8 * len(base)
        # THEN a task's first run took the same time and had the same outcome in each
        np.testing.assert_allclose(other.loc[common, "duration"], base.loc[common, "duration"],
                                   rtol=1e-9)
        assert (other.loc[common, "status"] == base.loc[common, "status"]).all()
        assert (base["status"] == "FAILED").any()


# ---------------------------------------------------------------------------- the comparison


def test_comparison_holds_each_variant_in_order(comparison, scenario):
    assert comparison.names == ["fifo", "balanced", "weighted", "more"]
    assert list(comparison) == comparison.names and len(comparison) == 4
    assert comparison.scenario == "arrivals" and comparison.seed == 5
    assert comparison.horizon == 10800.0 and comparison.until is None
    assert comparison.variants[0].description == "the default"
    assert comparison.variants[1].overrides == {SCHEDULING: {"priorityBalanced": {}}}
    # each result is the variant's run: its scenario name says which
    assert comparison["more"].summary()["scenario"] == "arrivals (more)"
    assert len(comparison["more"].workers["worker_id"].unique()) == 6
    with pytest.raises(KeyError, match="no variant 'x'"):
        comparison["x"]
    assert "fifo, balanced, weighted, more" in repr(comparison)


def test_table_has_a_row_per_metric_and_a_column_per_variant(comparison):
    table = comparison.table()
    assert list(table.columns) == comparison.names
    assert table.index.name == "metric" and table.columns.name == "variant"
    for name in ("jobs succeeded", "makespan (s)", "turnaround mean (s)", "turnaround p50 (s)",
                 "turnaround p95 (s)", "turnaround mean, priority 80 (s)",
                 "turnaround p95, priority 50 (s)", "task wait mean, priority 80 (s)",
                 "task wait p95, priority 50 (s)", "longest wait (s)",
                 "Jain's index (shots, priority 50)", "least worker share (shots, priority 50)",
                 "worker utilisation", "worker-hours", "cost (USD)"):
        assert name in table.index, name
    # THEN the values are each variant's summary's
    for name, result in comparison.results.items():
        s = result.summary()
        assert table.loc["turnaround mean (s)", name] == s["job_turnaround_s"]["mean"]
        assert table.loc["cost (USD)", name] == s["cost_usd"]["total"]
        jain = s["fairness"]["worker_share"]["shots"]["50"]["jain"]
        assert table.loc["Jain's index (shots, priority 50)", name] == jain
        band = s["fairness"]["task_wait_s"]["by_priority"]["80"]["p95"]
        assert table.loc["task wait p95, priority 80 (s)", name] == band
    # AND more workers finish sooner, for more money per hour
    assert table.loc["makespan (s)", "more"] < table.loc["makespan (s)", "fifo"]


def test_metrics_are_what_comparison_json_holds(comparison, saved):
    document = json.loads((saved / COMPARISON).read_text(encoding="utf-8"))
    assert document["scenario"] == "arrivals" and document["seed"] == 5
    assert document["horizon_s"] == 10800.0 and document["until_s"] is None
    assert [v["name"] for v in document["variants"]] == comparison.names
    assert document["variants"][3]["set"] == {"farm.fleets.linux.simulation.workers": 6}
    metrics = comparison.metrics()
    for entry in document["variants"]:
        assert entry["folder"] == entry["name"]
        assert entry["metrics"] == json.loads(json.dumps(metrics[entry["name"]]))
    fifo = metrics["fifo"]
    s = comparison["fifo"].summary()
    assert fifo["makespan_s"] == s["makespan_s"]
    assert fifo["jobs"]["succeeded"] == s["jobs"]["succeeded"]
    assert fifo["longest_wait_s"] == s["fairness"]["longest_wait"]["wait_s"]
    jains = [g["jain"] for by in s["fairness"]["worker_share"].values() for g in by.values()]
    assert jains and fifo["jain_min"] == min(jains)


def test_metrics_of_a_folder_saved_without_fairness_come_from_its_tables(comparison, saved,
                                                                         tmp_path):
    # GIVEN a variant's folder whose summary.json has no fairness section (an older farmsim)
    folder = tmp_path / "old"
    shutil.copytree(saved / "fifo", folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    del summary["fairness"]
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (folder / "manifest.json").unlink()
    # THEN its metrics are the same
    assert variant_metrics(farmsim.Result.load(folder)) == json.loads(
        json.dumps(comparison.metrics()["fifo"]))


def test_best_of_a_row():
    def row(better, **values):
        return MetricRow("x", "x", "duration", better, values)

    assert row("lower", a=3.0, b=1.0, c=1.0).best() == ["b", "c"]
    assert row("higher", a=3.0, b=1.0, c=None).best() == ["a"]
    assert row("lower", a=2.0, b=2.0).best() == []  # all equal: nothing stands out
    assert row("", a=1.0, b=2.0).best() == []  # no direction
    assert row("lower", a=1.0, b=None).best() == []  # one value: nothing to compare


def test_rows_take_every_band_and_group_of_any_variant():
    # GIVEN two variants whose jobs differ in priority bands and in groups that competed
    def metrics(bands, groups):
        return {"jobs": {"succeeded": 1, "unfinished": 0}, "makespan_s": 10.0,
                "job_turnaround_s": {"mean": 1.0, "p50": 1.0, "p95": 1.0,
                                     "by_priority": {b: {"mean": 1.0, "p50": 1.0, "p95": 1.0}
                                                     for b in bands}},
                "task_wait_s": {"mean": 1.0, "p95": 1.0,
                                "by_priority": {b: {"mean": 1.0, "p95": 1.0} for b in bands}},
                "longest_wait_s": None, "worker_share": groups, "worker_utilization": 0.5,
                "worker_hours": 1.0, "cost_usd": 1.0}

    group = {"jain": 0.5, "min_share": 0.0, "max_share": 1.0}
    rows = metric_rows({"a": metrics(["50"], {"q": {"50": group}}),
                        "b": metrics(["50", "90"], {})})
    labels = [r.label for r in rows]
    # THEN the rows hold both bands (the highest first) and the group, None where missing
    assert labels.index("turnaround mean, priority 90") < labels.index(
        "turnaround mean, priority 50")
    jain = rows[labels.index("Jain's index (q, priority 50)")]
    assert jain.values == {"a": 0.5, "b": None}
    assert rows[labels.index("turnaround p95, priority 90")].values == {"a": None, "b": 1.0}


@pytest.mark.parametrize(("kind", "value", "text"), [
    ("duration", 3725.0, "1h 2m 5s"), ("count", 1234.0, "1,234"), ("fraction", 0.9234, "92.3%"),
    ("index", 0.8081, "0.81"), ("usd", 1234.5, "$1,234.50"), ("hours", 12.34, "12.3"),
    ("duration", None, "-"), ("index", math.nan, "-"),
])  # fmt: skip
def test_format_metric(kind, value, text):
    assert format_metric(kind, value) == text


# ---------------------------------------------------------------------------- saving


def test_save_writes_a_results_folder_per_variant(comparison, saved):
    for name in comparison.names:
        assert (saved / name / "manifest.json").is_file()
        assert (saved / name / "jobs.parquet").is_file()
        loaded = farmsim.Result.load(saved / name)
        assert loaded.summary() == json.loads(json.dumps(comparison[name].summary()))
    assert (saved / COMPARISON).is_file()


def test_load_reads_the_comparison_back(comparison, saved):
    loaded = Comparison.load(saved)
    assert loaded.names == comparison.names
    assert (loaded.scenario, loaded.seed, loaded.horizon) == ("arrivals", 5, 10800.0)
    assert loaded.variants[1].overrides == comparison.variants[1].overrides
    pd.testing.assert_frame_equal(loaded.table(), comparison.table())


def test_same_seed_same_files_byte_for_byte(scenario, saved, tmp_path):
    # GIVEN the comparison run again and saved elsewhere
    again = farmsim.compare(scenario).save(tmp_path / "again")
    # THEN every file is the same, byte for byte
    files = sorted(p.relative_to(saved) for p in saved.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert len(files) == 1 + 4 * 14
    for path in files:
        assert (saved / path).read_bytes() == (again / path).read_bytes(), path


def test_save_replaces_a_run_saved_in_the_folder(comparison, tmp_path):
    # GIVEN a folder holding a run
    comparison["fifo"].save(tmp_path)
    # WHEN a comparison is saved there THEN the run's manifest and summary are gone
    comparison.save(tmp_path, format="csv")
    assert not (tmp_path / "manifest.json").exists()
    assert not (tmp_path / "summary.json").exists()
    assert (tmp_path / "more" / "jobs.csv").is_file()
    assert Comparison.load(tmp_path).names == comparison.names


def test_save_refuses_a_bad_format_and_a_file(comparison, tmp_path):
    with pytest.raises(UsageError, match="format must be 'parquet' or 'csv'"):
        comparison.save(tmp_path, format="xml")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(ResultsError, match="not a folder"):
        comparison.save(tmp_path / "file")


@pytest.mark.parametrize(("change", "message"), [
    pytest.param(lambda d: "{", "not valid JSON", id="not JSON"),
    pytest.param(lambda d: [], "must hold a JSON object", id="not an object"),
    pytest.param(lambda d: {**d, "seed": "1"}, "key 'seed' must be an integer", id="seed"),
    pytest.param(lambda d: {**d, "variants": []}, "key 'variants' must be a non-empty list",
                 id="no variants"),
    pytest.param(lambda d: {**d, "variants": [{**d["variants"][0], "folder": "../fifo"}]},
                 "variants[0].folder must be a variant's name", id="folder outside"),
    pytest.param(lambda d: {**d, "variants": [d["variants"][0], d["variants"][0]]},
                 "variants[1].name 'fifo' is listed twice", id="twice"),
    pytest.param(lambda d: {**d, "variants": [{**d["variants"][0], "folder": "gone"}]},
                 "gone: no such folder", id="missing folder"),
])  # fmt: skip
def test_load_names_what_is_wrong(saved, tmp_path, change, message):
    folder = tmp_path / "copy"
    shutil.copytree(saved, folder)
    document = json.loads((folder / COMPARISON).read_text(encoding="utf-8"))
    changed = change(document)
    text = changed if isinstance(changed, str) else json.dumps(changed)
    (folder / COMPARISON).write_text(text, encoding="utf-8")
    with pytest.raises(ResultsError, match=re.escape(message)):
        Comparison.load(folder)


def test_load_of_a_folder_without_comparison(tmp_path):
    with pytest.raises(ResultsError, match=r"no comparison\.json"):
        Comparison.load(tmp_path)
    with pytest.raises(ResultsError, match="no such folder"):
        Comparison.load(tmp_path / "nothing")


# ---------------------------------------------------------------------------- compare()


def test_compare_runs_the_variants_named(scenario):
    chosen = farmsim.compare(scenario, ["more", "fifo"], until="30m", seed=2)
    assert chosen.names == ["more", "fifo"]
    assert chosen.until == 1800.0 and chosen.seed == 2
    assert chosen["fifo"].summary()["seed"] == 2
    assert chosen["fifo"].summary()["simulated_s"] == 1800.0


def test_compare_takes_variants_given_as_overrides(scenario):
    given = farmsim.compare(scenario, {"two": {"farm.fleets.linux.simulation.workers": 2},
                                       "five": {"farm.fleets.linux.simulation.workers": 5}},
                            until="1h")
    assert given.names == ["two", "five"]
    assert given.variants[0].overrides == {"farm.fleets.linux.simulation.workers": 2}
    assert len(given["five"].workers["worker_id"].unique()) == 5


def test_compare_a_scenario_file(tmp_path):
    comparison = farmsim.compare(ROOT / "scenarios" / "policy_comparison.yaml", ["priorityFifo"],
                                 until="10m")
    assert comparison.source == str(ROOT / "scenarios" / "policy_comparison.yaml")
    assert comparison.names == ["priorityFifo"]


@pytest.mark.parametrize(("variants", "error", "message"), [
    pytest.param(["fifo", "slow"], UsageError, "has no variant 'slow' (variants: 'fifo', "
                 "'balanced', 'weighted', 'more')", id="unknown name"),
    pytest.param(["fifo", "fifo"], UsageError, "variant 'fifo' is given twice", id="twice"),
    pytest.param("fifo", UsageError, "variants must be a list of variant names or a mapping",
                 id="a string"),
    pytest.param([], UsageError, "variants must not be empty", id="empty"),
    pytest.param({"a b": {}}, ScenarioError, "variants[0].name: must be a folder name",
                 id="bad name"),
    pytest.param({"a": {"farm.fleets.linux.simulation.workers": 9}}, ScenarioError,
                 "variants[0].set.farm.fleets.linux.simulation.workers: must be between",
                 id="bad value"),
    pytest.param({"a": 3}, UsageError, "variants['a'] must be a mapping of path -> value",
                 id="not a mapping"),
])  # fmt: skip
def test_compare_refuses_bad_variants(scenario, variants, error, message):
    with pytest.raises(error, match=re.escape(message)):
        farmsim.compare(scenario, variants)


def test_compare_refuses_bad_arguments_before_running(scenario, monkeypatch):
    import farmsim._api as api

    def fail(*args, **kwargs):
        raise AssertionError("a variant ran")

    monkeypatch.setattr(api, "run_variant", fail)
    with pytest.raises(UsageError, match="until must be a positive duration"):
        farmsim.compare(scenario, until=-5)
    with pytest.raises(UsageError, match="until: "):
        farmsim.compare(scenario, until="soon")
    with pytest.raises(UsageError, match="has no variants"):
        farmsim.compare(farmsim.load_scenario(ROOT / "scenarios" / "quickstart.yaml"))
    with pytest.raises(UsageError, match="scenario must be a Scenario or the path"):
        farmsim.compare(3)  # type: ignore[arg-type]


def test_simulate_runs_the_file_without_its_variants(scenario, comparison):
    # GIVEN the scenario's own run THEN it is the file as it is: the fifo variant's run
    result = farmsim.simulate(scenario)
    assert result.summary()["scenario"] == "arrivals"
    np.testing.assert_array_equal(result.jobs["ended_at"].to_numpy(),
                                  comparison["fifo"].jobs["ended_at"].to_numpy())


def test_progress_labels_each_bar():
    # GIVEN a labelled stream WHEN a bar is drawn and erased through it
    out = io.StringIO()
    stream = _Labelled("[1/3] fifo  ", out)
    stream.write("\r[###...]  50.0%")
    stream.write("\r" + " " * 15 + "\r")
    stream.flush()
    # THEN the bar has the label and the erase covers it
    assert out.getvalue() == "\r[1/3] fifo  [###...]  50.0%\r" + " " * 27 + "\r"


# ---------------------------------------------------------------------------- plots and report


@pytest.mark.parametrize("plot", [
    variant_turnaround_ecdf, variant_wait_by_priority, variant_jobs_running,
    variant_workers_busy,
])  # fmt: skip
def test_plots_have_a_line_or_bar_per_variant_and_a_legend_inside(comparison, plot):
    ax = plot(comparison)
    assert ax.get_title()
    legend = ax.get_legend()
    assert legend is not None
    texts = [t.get_text() for t in legend.get_texts()]
    for name in comparison.names:
        assert any(t.startswith(name) for t in texts), (name, texts)
    # inside: anchored to the axes themselves, not beside them
    assert legend.get_bbox_to_anchor().bounds == ax.bbox.bounds


def test_turnaround_ecdf_reaches_the_share_of_jobs_that_succeeded(comparison):
    ax = variant_turnaround_ecdf(comparison, "80")
    assert ax.get_title() == "Job turnaround, priority 80"
    jobs = comparison["fifo"].jobs
    mine = jobs[jobs["priority"] == 80]
    line = ax.get_lines()[0]
    assert line.get_ydata()[-1] == pytest.approx(
        (mine["task_run_status"] == "SUCCEEDED").sum() / len(mine))
    assert ax.get_xlabel().startswith("turnaround (")


def test_wait_bars_are_the_mean_waits(comparison):
    ax = variant_wait_by_priority(comparison)
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 2 * len(comparison)  # two bands, a bar per variant in each
    unit = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0}[
        ax.get_ylabel().rsplit("(", 1)[1].rstrip(")")]
    means = comparison.metrics()["fifo"]["task_wait_s"]["by_priority"]
    assert heights[0] == pytest.approx(means["50"]["mean"] / unit)
    assert heights[1] == pytest.approx(means["80"]["mean"] / unit)


def test_worker_share_names_each_variants_jain_index(comparison):
    ax = variant_worker_share(comparison)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    for name in comparison.names:
        jain = comparison.metrics()[name]["worker_share"]["shots"]["50"]["jain"]
        assert f"{name}\nJain {jain:.2f}" in "\n".join(labels)


def test_plots_of_a_comparison_without_jobs_say_so(tmp_path):
    data = arrivals_data()
    del data["workload"]
    empty = farmsim.compare(farmsim.scenario_from_dict(data, base_dir=ROOT / "scenarios"),
                            ["fifo", "more"], until="10m")
    for plot, said in ((variant_turnaround_ecdf, "no jobs submitted"),
                       (variant_wait_by_priority, "no jobs submitted"),
                       (variant_worker_share, "no two jobs of equal priority"),
                       (variant_jobs_running, "no jobs submitted")):
        ax = plot(empty)
        assert any(said in t.get_text() for t in ax.texts), plot.__name__
    # AND its report draws only the busy workers, and says once why each other plot is not
    # drawn
    page = render_comparison_report(empty)
    assert re.findall(r'<img [^>]*alt="([^"]*)"', page) == ["Busy workers"]
    assert re.findall(r"<p>Not drawn.*</p>", page) == [
        "<p>Not drawn, no jobs submitted: Job turnaround, all jobs; Task wait by priority; Jobs "
        "in progress.</p>",
        "<p>Not drawn, no two jobs of equal priority in a queue waited for workers at once: "
        "Worker share among jobs of equal priority.</p>"]
    assert "Busy workers over time, one line per variant." in page


def test_report_has_the_metrics_table_with_the_best_in_bold(comparison):
    page = render_comparison_report(comparison)
    assert page.count('<img src="data:image/png;base64,') == 4
    assert page.count("<figcaption>") == 4
    rows = {row.label: row for row in metric_rows(comparison.metrics())}
    makespan = rows["makespan"]
    best = makespan.best()
    assert best == ["more"]
    text = format_metric("duration", makespan.values["more"])
    assert f'<td class="num best">{text}</td>' in page
    assert page.count('class="num best"') == sum(len(r.best()) for r in rows.values())
    assert "farm.fleets.linux.simulation.workers: 6" in page
    assert "(the scenario as it is)" in page
    assert 'href="' not in page  # no links: the variants' reports are not beside it
    assert "http://" not in page and "https://" not in page


def test_report_escapes_text(comparison):
    variants = [type(v)(v.name, "<b>bold</b>", v.overrides) for v in comparison.variants]
    odd = Comparison("<script>", 1, variants, comparison.results)
    page = render_comparison_report(odd)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_write_report_links_the_variants_reports(comparison, saved, tmp_path):
    folder = tmp_path / "linked"
    shutil.copytree(saved, folder)
    assert 'href="' not in write_comparison_report(comparison, folder).read_text(
        encoding="utf-8")
    for name in comparison.names:
        (folder / name / "report.html").write_text("x", encoding="utf-8")
    page = write_comparison_report(comparison, folder / "report.html").read_text(
        encoding="utf-8")
    for name in comparison.names:
        assert f'<a href="{name}/report.html">{name}</a>' in page


def test_comparison_is_exported_lazily():
    import subprocess
    import sys

    code = ("import sys, farmsim\n"
            "assert 'pandas' not in sys.modules\n"
            "c = farmsim.Comparison\n"
            "print(c.__module__, 'matplotlib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout.split()
    assert out == ["farmsim.analysis.comparison", "False"]


def test_a_comparison_needs_a_result_per_variant(comparison):
    with pytest.raises(UsageError, match="results must be given for each variant once"):
        Comparison("x", 1, comparison.variants, {"fifo": comparison["fifo"]})
