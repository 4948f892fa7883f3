"""scenarios/policy_comparison.yaml tells the story its header comment tells: the three scheduling
configurations, on the same submissions, treat the queue's jobs differently.

- priorityFifo: the priority-50 renders finish one after the other, oldest first; the one
  that waits gets no workers while an older one runs (the lowest Jain's index);
- priorityBalanced: the renders share the workers evenly (Jain's index near 1), so they all
  finish late: their mean turnaround is the longest of the three;
- weightedBalanced: age weighs against priority, so the renders that waited longest keep
  workers from the priority-80 fixes, which come back much later than under the other two.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import farmsim

ROOT = Path(__file__).resolve().parents[2]
PATH = ROOT / "scenarios" / "policy_comparison.yaml"


@pytest.fixture(scope="module")
def comparison():
    return farmsim.compare(PATH)


@pytest.fixture(scope="module")
def metrics(comparison):
    return comparison.metrics()


def test_the_three_configurations_are_its_variants(comparison):
    scenario = farmsim.load_scenario(PATH)
    assert comparison.names == ["priorityFifo", "priorityBalanced", "weightedBalanced"]
    for name in comparison.names:
        queue = scenario.variant(name).farm.queues[0]
        assert queue.scheduling.policy == name
    assert scenario.variant("priorityBalanced").farm.queues[0].scheduling.parameters == {
        "renderingTaskBuffer": 1}
    assert scenario.variant("weightedBalanced").farm.queues[0].scheduling.parameters == {}


def test_every_variant_sees_the_same_jobs(comparison):
    jobs = [r.jobs for r in comparison.results.values()]
    for other in jobs[1:]:
        assert other["name"].tolist() == jobs[0]["name"].tolist()
        np.testing.assert_array_equal(other["submitted_at"].to_numpy(),
                                      jobs[0]["submitted_at"].to_numpy())
        assert other["priority"].tolist() == jobs[0]["priority"].tolist()


def test_every_job_succeeds_under_each(metrics):
    for m in metrics.values():
        assert m["jobs"] == {"submitted": 6, "succeeded": 6, "failed": 0, "unfinished": 0}


def test_priority_fifo_finishes_the_renders_oldest_first(comparison):
    for name, in_order in (("priorityFifo", True), ("priorityBalanced", False)):
        jobs = comparison[name].jobs
        renders = jobs[jobs["priority"] == 50].sort_values("submitted_at")
        ends = renders["ended_at"].to_numpy()
        assert bool((np.diff(ends) > 0).all()) is in_order, name


def test_priority_balanced_shares_the_workers_evenly(metrics):
    jain = {name: m["worker_share"]["shots"]["50"]["jain"] for name, m in metrics.items()}
    assert jain["priorityBalanced"] > 0.95
    assert jain["priorityBalanced"] > jain["weightedBalanced"] > jain["priorityFifo"]
    least = {name: m["worker_share"]["shots"]["50"]["min_share"] for name, m in metrics.items()}
    assert least["priorityFifo"] == 0.0  # a render that waited got no worker while it did
    assert least["priorityBalanced"] > 0.2


def test_priority_balanced_finishes_every_render_late(metrics):
    renders = {name: m["job_turnaround_s"]["by_priority"]["50"]["mean"]
               for name, m in metrics.items()}
    assert renders["priorityBalanced"] == max(renders.values())
    assert renders["priorityBalanced"] > 1.2 * renders["priorityFifo"]


def test_weighted_balanced_trades_the_fixes_priority_for_the_renders_age(metrics):
    fixes = {name: m["job_turnaround_s"]["by_priority"]["80"]["mean"]
             for name, m in metrics.items()}
    waits = {name: m["task_wait_s"]["by_priority"]["80"]["mean"] for name, m in metrics.items()}
    assert fixes["weightedBalanced"] > 2 * max(fixes["priorityFifo"], fixes["priorityBalanced"])
    assert waits["weightedBalanced"] > 5 * max(waits["priorityFifo"], waits["priorityBalanced"])


def test_the_failing_shot_costs_retries_under_each(comparison):
    for result in comparison.results.values():
        jobs = result.jobs
        retries = dict(zip(jobs["name"], jobs["task_failure_retry_count"], strict=True))
        assert retries["sh030 render"] > 5
        assert sum(retries.values()) == retries["sh030 render"]


def test_same_seed_same_tables_byte_for_byte(comparison, tmp_path):
    first = comparison.save(tmp_path / "first")
    again = farmsim.compare(PATH).save(tmp_path / "again")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) == 1 + 3 * 14  # comparison.json, and 12 tables + 2 json per variant
    for path in files:
        assert (first / path).read_bytes() == (again / path).read_bytes(), path
