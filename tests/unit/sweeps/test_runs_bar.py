"""The sweep's progress bar counts runs, failures and the time left, drawn in place."""

from __future__ import annotations

import io

from farmsim._progress import RunsBar


def test_the_bar_counts_runs_and_failures_and_erases_itself():
    stream = io.StringIO()
    bar = RunsBar(4, stream, done=1, delay=0.0, interval=0.0, width=4)
    bar.update()
    bar.update(failed=True)
    text = stream.getvalue()
    assert "\r[##..] 2/4 runs" in text
    assert "3/4 runs  1 failed  ~" in text and "left" in text  # one run resumed, two ran
    bar.update()
    assert stream.getvalue().rstrip().endswith("4/4 runs  1 failed")  # no estimate once done
    bar.close()
    assert stream.getvalue().endswith("\r")


def test_a_short_sweep_draws_nothing():
    stream = io.StringIO()
    bar = RunsBar(3, stream, delay=60.0)
    bar.update()
    bar.close()
    assert stream.getvalue() == ""
