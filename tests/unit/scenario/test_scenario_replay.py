"""workload.replay: recorded submissions from a CSV file or an SWF trace (``read_replay``)."""

from __future__ import annotations

import dataclasses
import gzip
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import farmsim
from farmsim.engine.simulation import Simulation
from farmsim.model.config import JobSubmission
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.scenario import scenario_from_dict
from farmsim.scenario._validate import Problems
from farmsim.scenario.replay import MAX_PROBLEMS_PER_FILE, read_replay

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "scenarios"
QUEUES = ("render", "comp")
START = "2026-01-05T09:00:00+00:00"
CSV_HEADER = (
    "time,queue,template,parameters,priority,maxWorkerCount,maxRetriesPerTask,"
    "maxFailedTasksCount,targetTaskRunStatus"
)
RENDER = "../templates/render.yaml"
COMP = "../templates/comp.yaml"
#: Where the problems of traces/bad.csv and traces/t.swf are.
BAD_CSV = "workload.replay: traces/bad.csv"
SWF_AT = "workload.replay: traces/t.swf"
BY = "queue|partition|user|group|executable"
LIGHTING = "unknown queue 'lighting' (defined: 'render', 'comp')"

#: A small SWF trace: header comments, a blank line, a trailing comment, a canceled job (run
#: time -1), a job with no submit time, a 0-second job and a fractional run time.
SWF = """\
; Version: 2.2
; Computer: test farm
; MaxJobs: 6
; UnixStartTime: 1767603600
; Note: a hand-written trace for the tests
;
    1    100   5    60  1 -1 -1  1  100 -1  1  1  1  2  1  1 -1 -1
    2    110   5    -1 -1 -1 -1  1  100 -1  5  2  1  2  2  1 -1 -1
    3     -1   5    30  1 -1 -1  1  100 -1  1  3  2  3  1  1 -1 -1

    4    130   0     0  1 -1 -1  1  100 -1  1  7  2  3  2  1 -1 -1
    5    140   0  45.5  1 -1 -1  1  100 -1  0  1  1  2  1  2 -1 -1 ; a trailing comment
    6    700   0   120  1 -1 -1  1  100 -1  1  2  1  4  2  2 -1 -1
"""
#: The jobs of SWF that are replayed: name -> (at, run time).
SWF_JOBS = {
    "swf-1": (0.0, 60.0),
    "swf-4": (30.0, 0.0),
    "swf-5": (40.0, 45.5),
    "swf-6": (600.0, 120.0),
}
SWF_NOTE = (
    f"{SWF_AT}: 2 jobs skipped (1 with run time unknown, usually canceled before they started; "
    "1 with submit time unknown)"
)


@dataclasses.dataclass
class Read:
    """What read_replay gave: the submissions (or None), the problems and the notes."""

    jobs: tuple[JobSubmission, ...] | None
    problems: list[str]
    notes: list[str]


def read(
    data: Any, folder: Path, *, queues: tuple[str, ...] | None = QUEUES, start: str | None = None
) -> Read:
    problems = Problems()
    notes: list[str] = []
    jobs = read_replay(data, problems, queues=queues, base_dir=folder, notes=notes, start=start)
    return Read(jobs, problems.messages, notes)


def read_ok(data: Any, folder: Path, **kwargs: Any) -> tuple[JobSubmission, ...]:
    result = read(data, folder, **kwargs)
    assert result.problems == []
    assert result.jobs is not None
    return result.jobs


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A scenario folder: templates/ (the examples' render and comp templates) and traces/."""
    shutil.copytree(EXAMPLES / "templates", tmp_path / "templates")
    (tmp_path / "traces").mkdir()
    return tmp_path


def write(folder: Path, name: str, text: str) -> str:
    """Write traces/<name>; returns its path relative to the folder."""
    (folder / "traces" / name).write_text(text, encoding="utf-8")
    return f"traces/{name}"


def params(**values: str) -> str:
    """A CSV cell holding a JSON object (quotes doubled, the cell quoted)."""
    inner = ", ".join(f'""{k}"": ""{v}""' for k, v in values.items())
    return f'"{{{inner}}}"'


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_rows_become_submissions_with_the_jobs_defaults(folder: Path) -> None:
    # GIVEN recorded submissions with duration times, JSON parameters, and empty cells
    path = write(
        folder,
        "subs.csv",
        f"{CSV_HEADER}\n"
        f"15m,comp,{COMP},,,,,,\n"
        f"0,render,{RENDER},{params(Shot='sh010', Frames='1-4')},70,3,2,10,SUSPENDED\n"
        f"90,render,{RENDER},,,,,,\n"
        f'1.5h,comp,{COMP},"{{""Frames"": ""1-2""}}",0,-1,0,0,READY\n',
    )

    # WHEN read
    jobs = read_ok(path, folder)

    # THEN they are sorted by time, with the values given and the jobs' defaults elsewhere
    assert [j.at for j in jobs] == [0.0, 90.0, 900.0, 5400.0]
    first, second, third, fourth = jobs
    assert first.queue == "render"
    assert first.template == str(folder / "traces" / RENDER)
    assert first.parameters == {"Shot": "sh010", "Frames": "1-4"}
    assert first.structure.name == "sh010 render"
    assert first.structure.steps[0].task_count == 4
    assert (first.priority, first.max_worker_count) == (70, 3)
    assert (first.max_retries_per_task, first.max_failed_tasks_count) == (2, 10)
    assert first.target_task_run_status is CreateJobTargetTaskRunStatus.SUSPENDED
    assert second.parameters == {}
    assert second.structure.steps[0].task_count == 10  # the template's default Frames
    assert (second.priority, second.max_worker_count) == (50, -1)
    assert (second.max_retries_per_task, second.max_failed_tasks_count) == (5, 20)
    assert second.target_task_run_status is CreateJobTargetTaskRunStatus.READY
    assert third.queue == "comp" and third.structure.name == "sh010 comp"
    assert fourth.priority == fourth.max_retries_per_task == fourth.max_failed_tasks_count == 0
    assert all(j.name is None and j.run_time is None for j in jobs)


def test_csv_rows_at_the_same_time_keep_their_file_order(folder: Path) -> None:
    # GIVEN three rows at t=60, in the order sh030, sh010, sh020
    rows = "".join(f"1m,render,{RENDER},{params(Shot=s)}\n" for s in ("sh030", "sh010", "sh020"))
    path = write(folder, "subs.csv", f"time,queue,template,parameters\n{rows}")

    # WHEN read THEN the order is the file's
    assert [j.parameters["Shot"] for j in read_ok(path, folder)] == ["sh030", "sh010", "sh020"]


def test_csv_ignores_blank_lines_whitespace_and_a_byte_order_mark(folder: Path) -> None:
    # GIVEN a file saved by a spreadsheet: a BOM, CRLF line ends, spaces, blank lines
    text = f"\ufefftime , queue,template\r\n\r\n 30 , comp , {COMP} \r\n,,\r\n"
    (folder / "traces" / "subs.csv").write_bytes(text.encode("utf-8"))

    # WHEN read THEN the one row is read
    (job,) = read_ok("traces/subs.csv", folder)
    assert (job.at, job.queue) == (30.0, "comp")


def test_csv_timestamps_are_relative_to_the_scenario_start(folder: Path) -> None:
    # GIVEN ISO-8601 timestamps in several zones (none = UTC)
    path = write(
        folder,
        "subs.csv",
        "timestamp,queue,template\n"
        f"2026-01-05T10:00:00Z,render,{RENDER}\n"
        f"2026-01-05T09:30:00+00:00,comp,{COMP}\n"
        f"2026-01-05T10:15:00+01:00,comp,{COMP}\n"
        f"2026-01-05T09:45:00,render,{RENDER}\n",
    )

    # WHEN read with the scenario's start, and without one
    with_start = read_ok(path, folder, start=START)
    without = read_ok(path, folder, start=None)

    # THEN times count from the start, or from the file's earliest timestamp (09:15Z)
    assert [(j.at, j.queue) for j in with_start] == [
        (900.0, "comp"),
        (1800.0, "comp"),
        (2700.0, "render"),
        (3600.0, "render"),
    ]
    assert [j.at for j in without] == [0.0, 900.0, 1800.0, 2700.0]


def test_csv_timestamps_before_the_start_are_problems(folder: Path) -> None:
    path = write(
        folder,
        "bad.csv",
        f"timestamp,queue,template\n2026-01-05T08:59:59Z,render,{RENDER}\n",
    )
    assert read(path, folder, start=START).problems == [
        f"{BAD_CSV}, line 2, column timestamp: must not be before the scenario start {START} "
        "(got '2026-01-05T08:59:59Z')"
    ]


def _row(header: str, row: str) -> str:
    return f"{header}\n{row}\n"


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        pytest.param(
            _row("time,queue,template,priority", f"0,render,{RENDER},150"),
            [f"{BAD_CSV}, line 2, column priority: must be between 0 and 100 (got 150)"],
            id="priority 150",
        ),
        pytest.param(
            _row("time,queue,template,priority", f"0,render,{RENDER},1.5"),
            [f"{BAD_CSV}, line 2, column priority: must be an integer (got '1.5')"],
            id="priority not an integer",
        ),
        pytest.param(
            _row("time,queue,template,maxWorkerCount", f"0,render,{RENDER},0"),
            [f"{BAD_CSV}, line 2, column maxWorkerCount: must be -1 or >= 1 (got 0)"],
            id="maxWorkerCount 0",
        ),
        pytest.param(
            _row("time,queue,template,maxRetriesPerTask", f"0,render,{RENDER},-1"),
            [f"{BAD_CSV}, line 2, column maxRetriesPerTask: must be >= 0 (got -1)"],
            id="retries negative",
        ),
        pytest.param(
            _row("time,queue,template,maxFailedTasksCount", f"0,render,{RENDER},2147483648"),
            [
                f"{BAD_CSV}, line 2, column maxFailedTasksCount: must be <= 2147483647 "
                "(got 2147483648)"
            ],
            id="failed count too big",
        ),
        pytest.param(
            _row("time,queue,template,targetTaskRunStatus", f"0,render,{RENDER},CANCELED"),
            [
                f"{BAD_CSV}, line 2, column targetTaskRunStatus: must be one of READY, SUSPENDED "
                "(got 'CANCELED')"
            ],
            id="target status",
        ),
        pytest.param(
            _row("time,queue,template", f"-5,render,{RENDER}"),
            [f"{BAD_CSV}, line 2, column time: must be >= 0 (got '-5')"],
            id="negative time",
        ),
        pytest.param(
            _row("time,queue,template", f"-1h,render,{RENDER}"),
            [f"{BAD_CSV}, line 2, column time: must be >= 0 (got '-1h')"],
            id="negative duration",
        ),
        pytest.param(
            _row("time,queue,template", f"soon,render,{RENDER}"),
            [
                f"{BAD_CSV}, line 2, column time: must be a duration: seconds, or a string like "
                "'90s', '15m', '4h', '7d' (got 'soon')"
            ],
            id="time not a duration",
        ),
        pytest.param(
            _row("timestamp,queue,template", f"yesterday,render,{RENDER}"),
            [
                f"{BAD_CSV}, line 2, column timestamp: must be an ISO-8601 date and time like "
                "2026-01-05T09:00:00Z (got 'yesterday')"
            ],
            id="timestamp not ISO",
        ),
        pytest.param(
            _row("time,queue,template", f"0,lighting,{RENDER}"),
            [f"{BAD_CSV}, line 2, column queue: {LIGHTING}"],
            id="unknown queue",
        ),
        pytest.param(
            _row("time,queue,template,priority", " ,, ,70"),
            [
                f"{BAD_CSV}, line 2, column time: must not be empty",
                f"{BAD_CSV}, line 2, column queue: must not be empty",
                f"{BAD_CSV}, line 2, column template: must not be empty",
            ],
            id="empty required cells",
        ),
        pytest.param(
            _row("time,queue,template,parameters", f'0,render,{RENDER},"{{""Frames"": 3"'),
            [
                f'{BAD_CSV}, line 2, column parameters: must be a JSON object like {{"Frames": '
                "\"1-10\"} (not valid JSON: Expecting ',' delimiter at character 13)"
            ],
            id="parameters not JSON",
        ),
        pytest.param(
            _row("time,queue,template,parameters", f"0,render,{RENDER},[1]"),
            [
                f'{BAD_CSV}, line 2, column parameters: must be a JSON object like {{"Frames": '
                '"1-10"} (got a list)'
            ],
            id="parameters not an object",
        ),
        pytest.param(
            _row("time,queue,template,parameters", f'0,render,{RENDER},"{{""Frames"": null}}"'),
            [
                f"{BAD_CSV}, line 2, column parameters.Frames: must be a string, a number, a "
                "boolean or a list of them (got None)"
            ],
            id="parameter value null",
        ),
        pytest.param(
            _row("time,queue,template,parameters", f'0,render,{RENDER},"{{""Nope"": 1}}"'),
            [
                f"{BAD_CSV}, line 2, column parameters: {{folder}}/templates/render.yaml: unknown "
                "job parameter 'Nope' (value 1); the template defines Shot, Frames, SceneFile, "
                "OutputDir"
            ],
            id="unknown parameter",
        ),
        pytest.param(
            _row("time,queue,template", "0,render,../templates/missing.yaml"),
            [
                f"{BAD_CSV}, line 2, column template: {{folder}}/templates/missing.yaml: no such "
                "file or folder"
            ],
            id="template not found",
        ),
        pytest.param(
            _row("time,queue,template", f"0,render,{RENDER},"),
            [f"{BAD_CSV}, line 2: has 4 cells but the header has 3 columns"],
            id="too many cells",
        ),
        pytest.param(
            _row("time,queue,template", "0,render"),
            [f"{BAD_CSV}, line 2: has 2 cells but the header has 3 columns"],
            id="too few cells",
        ),
        pytest.param(
            f"time,queue,template\n\n\n0,lighting,{RENDER}\n",
            [f"{BAD_CSV}, line 4, column queue: {LIGHTING}"],
            id="blank lines are counted",
        ),
        pytest.param(
            f'time,queue,template,parameters\n0,lighting,{RENDER},"{{\n}}"\n0,x,{RENDER},\n',
            [
                f"{BAD_CSV}, line 2, column queue: unknown queue 'lighting' (defined: 'render', "
                "'comp')",
                f"{BAD_CSV}, line 4, column queue: unknown queue 'x' (defined: 'render', 'comp')",
            ],
            id="a row over two lines is located at its first",
        ),
        pytest.param(
            _row("time,queue,template,prority", f"0,lighting,{RENDER},70"),
            [
                f"{BAD_CSV}, line 1: unknown column 'prority' (expected one of: "
                "maxFailedTasksCount, maxRetriesPerTask, maxWorkerCount, parameters, priority, "
                "queue, targetTaskRunStatus, template, time, timestamp)",
                f"{BAD_CSV}, line 2, column queue: unknown queue 'lighting' (defined: 'render', "
                "'comp')",
            ],
            id="unknown column, rows still checked",
        ),
        pytest.param(
            _row("time,queue,template,", f"0,render,{RENDER},"),
            [f"{BAD_CSV}, line 1: column 4 has no name"],
            id="column without a name",
        ),
        pytest.param(
            _row("time,queue,template,queue", f"0,render,{RENDER},comp"),
            [f"{BAD_CSV}, line 1: column 'queue' appears more than once"],
            id="column twice",
        ),
        pytest.param(
            _row("queue,template", f"render,{RENDER}"),
            [f"{BAD_CSV}, line 1: missing column 'time' or 'timestamp' (one of them is required)"],
            id="no time column",
        ),
        pytest.param(
            _row("time,timestamp,queue,template", f"0,,render,{RENDER}"),
            [f"{BAD_CSV}, line 1: has both columns 'time' and 'timestamp' (use one of them)"],
            id="both time columns",
        ),
        pytest.param(
            _row("time,template", f"0,{RENDER}"),
            [f"{BAD_CSV}, line 1: missing required column 'queue'"],
            id="no queue column",
        ),
        pytest.param(
            "\n\n",
            [
                f"{BAD_CSV}: the file is empty (expected a header row naming its columns: time, "
                "timestamp, queue, template, parameters, priority, maxWorkerCount, "
                "maxRetriesPerTask, maxFailedTasksCount, targetTaskRunStatus)"
            ],
            id="empty file",
        ),
        pytest.param(
            _row("time,queue,template,parameters", f'0,render,{RENDER},"{"x" * 200_000}"'),
            [f"{BAD_CSV}, line 2: not valid CSV: field larger than field limit (131072)"],
            id="not valid CSV",
        ),
    ],
)
def test_csv_problems(folder: Path, text: str, problems: list[str]) -> None:
    # GIVEN a CSV file with one kind of mistake
    path = write(folder, "bad.csv", text)
    # WHEN read THEN exactly these problems are reported, located by file, line and column
    result = read(path, folder)
    assert result.problems == [p.replace("{folder}", str(folder)) for p in problems]
    assert result.jobs is None


def test_csv_problems_are_capped_per_file(folder: Path) -> None:
    # GIVEN 25 rows with a bad priority
    rows = "".join(f"{i},render,{RENDER},{101 + i}\n" for i in range(25))
    path = write(folder, "bad.csv", f"time,queue,template,priority\n{rows}")

    # WHEN read
    problems = read(path, folder).problems

    # THEN the first 20 are reported, then a count of the rest
    assert len(problems) == MAX_PROBLEMS_PER_FILE + 1
    assert problems[0] == f"{BAD_CSV}, line 2, column priority: must be between 0 and 100 (got 101)"
    assert problems[19].startswith(f"{BAD_CSV}, line 21, column priority:")
    assert problems[-1] == f"{BAD_CSV}: ... and 5 more problems in this file"


def test_csv_queues_are_not_checked_when_the_farm_queues_are_unknown(folder: Path) -> None:
    path = write(folder, "subs.csv", f"time,queue,template\n0,anything,{RENDER}\n")
    assert [j.queue for j in read_ok(path, folder, queues=None)] == ["anything"]


# --- the value's forms ---------------------------------------------------------------------------


def test_replay_forms_and_a_list_of_files_merged_in_time(folder: Path) -> None:
    # GIVEN a CSV without its extension, a gzipped CSV and an SWF trace
    write(folder, "subs.txt", f"time,queue,template\n100,render,{RENDER}\n")
    with gzip.open(folder / "traces" / "more.csv.gz", "wt", encoding="utf-8") as stream:
        stream.write(f"time,queue,template\n35,comp,{COMP}\n")
    write(folder, "t.swf", SWF)

    # WHEN read as a list of the forms
    jobs = read_ok(
        [
            {"file": "traces/subs.txt", "format": "csv"},
            "traces/more.csv.gz",
            {"file": "traces/t.swf", "queue": "comp", "priority": 70},
        ],
        folder,
    )

    # THEN the submissions of all three come sorted by time (file order among equal times)
    assert [(j.at, j.name or j.structure.name) for j in jobs] == [
        (0.0, "swf-1"),
        (30.0, "swf-4"),
        (35.0, "sh010 comp"),
        (40.0, "swf-5"),
        (100.0, "sh010 render"),
        (600.0, "swf-6"),
    ]


def test_the_extension_is_case_insensitive(folder: Path) -> None:
    (folder / "traces" / "T.SWF").write_text(SWF)
    assert len(read_ok("traces/T.SWF", folder, queues=("render",))) == 4


def test_an_empty_list_replays_nothing(folder: Path) -> None:
    assert read([], folder) == Read((), [], [])


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        pytest.param(
            3,
            [
                "workload.replay: must be a file path, a mapping like {file: PATH, format: "
                "csv|swf}, or a list of them (got 3)"
            ],
            id="not a path",
        ),
        pytest.param(
            [3, ["traces/ok.csv"]],
            [
                "workload.replay[0]: must be a file path or a mapping like {file: PATH, format: "
                "csv|swf} (got 3)",
                "workload.replay[1]: must be a file path or a mapping like {file: PATH, format: "
                "csv|swf} (got a list)",
            ],
            id="bad list items",
        ),
        pytest.param(
            " ",
            [
                "workload.replay: must be a file path, a mapping like {file: PATH, format: "
                "csv|swf}, or a list of them (got ' ')"
            ],
            id="empty path",
        ),
        pytest.param(
            "traces/ok.txt",
            [
                "workload.replay: cannot tell the format of 'traces/ok.txt' from its extension "
                "(expected .csv or .swf, optionally .gz); name it with {file: PATH, format: "
                "csv|swf}"
            ],
            id="unknown extension",
        ),
        pytest.param(
            {"file": "traces/ok.txt"},
            [
                "workload.replay.file: cannot tell the format of 'traces/ok.txt' from its "
                "extension (expected .csv or .swf, optionally .gz); name it with {file: PATH, "
                "format: csv|swf}"
            ],
            id="unknown extension in a mapping",
        ),
        pytest.param(
            {"file": "traces/ok.csv", "format": "tsv"},
            ["workload.replay.format: must be one of csv, swf (got 'tsv')"],
            id="unknown format",
        ),
        pytest.param(
            {"file": "traces/ok.csv", "queue": "render"},
            ["workload.replay: unknown key 'queue' (expected one of: file, format)"],
            id="a CSV takes no options",
        ),
        pytest.param(
            {"file": "traces/ok.swf", "queue": "render", "speed": 2},
            [
                "workload.replay: unknown key 'speed' (expected one of: file, format, limit, "
                "offset, priority, queue)"
            ],
            id="unknown SWF option",
        ),
        pytest.param(
            {"format": "csv"},
            ["workload.replay: missing required key 'file'"],
            id="no file",
        ),
        pytest.param(
            {"file": 5, "format": "csv"},
            ["workload.replay.file: must be a string (got 5)"],
            id="file not a string",
        ),
        pytest.param(
            {"file": "traces/nope.csv"},
            ["workload.replay.file: file not found: {folder}/traces/nope.csv"],
            id="file not found",
        ),
        pytest.param(
            "traces/nope.swf",
            ["workload.replay: file not found: {folder}/traces/nope.swf"],
            id="path not found",
        ),
        pytest.param(
            ["traces/ok.csv", {"file": "traces", "format": "csv"}],
            ["workload.replay[1].file: not a file: {folder}/traces"],
            id="a folder",
        ),
    ],
)
def test_value_problems(folder: Path, data: Any, problems: list[str]) -> None:
    # GIVEN valid trace files, named wrongly
    write(folder, "ok.csv", f"time,queue,template\n0,render,{RENDER}\n")
    write(folder, "ok.txt", f"time,queue,template\n0,render,{RENDER}\n")
    write(folder, "ok.swf", SWF)
    # WHEN read THEN these are the problems
    result = read(data, folder)
    assert result.problems == [p.replace("{folder}", str(folder)) for p in problems]
    assert result.jobs is None


def test_a_file_that_is_not_text_is_a_problem(folder: Path) -> None:
    (folder / "traces" / "bin.csv").write_bytes(b"time,queue,template\n\xff\xfe\n")
    assert read("traces/bin.csv", folder).problems == [
        f"workload.replay: cannot read {folder}/traces/bin.csv: not UTF-8 text (invalid start byte)"
    ]


# --- SWF -----------------------------------------------------------------------------------------


def test_swf_jobs_are_one_task_jobs_at_their_submit_times_for_their_run_times(
    folder: Path,
) -> None:
    # GIVEN the sample trace and a farm with one queue (no queue option needed)
    path = write(folder, "t.swf", SWF)

    # WHEN read
    result = read(path, folder, queues=("render",))

    # THEN each job with known times is a one-task job, times relative to the first submit
    assert result.problems == []
    jobs = result.jobs
    assert jobs is not None
    assert {j.name: (j.at, j.run_time) for j in jobs} == SWF_JOBS
    assert [j.name for j in jobs] == ["swf-1", "swf-4", "swf-5", "swf-6"]
    assert all(j.queue == "render" and j.priority == 50 for j in jobs)
    assert all(j.template == "" and j.parameters == {} for j in jobs)
    structure = jobs[0].structure
    assert all(j.structure is structure for j in jobs)  # one structure, shared
    assert [(s.name, s.task_count) for s in structure.steps] == [("run", 1)]
    # AND the jobs without a run time or a submit time are counted in one note
    assert result.notes == [SWF_NOTE]


def test_swf_note_for_canceled_jobs_only(folder: Path) -> None:
    path = write(folder, "t.swf", "\n".join(SWF.splitlines()[:8]) + "\n")  # jobs 1 and 2
    result = read(path, folder, queues=("render",))
    assert result.notes == [
        f"{SWF_AT}: 1 job skipped (run time unknown, usually canceled before they started)"
    ]


def test_swf_with_only_a_header_replays_nothing_and_says_so(folder: Path) -> None:
    path = write(folder, "t.swf", "; Version: 2.2\n; MaxJobs: 0\n")
    assert read(path, folder, queues=("render",)) == Read(
        (), [], [f"{SWF_AT}: no jobs to replay"])


@pytest.mark.parametrize(
    ("rule", "queues"),
    [
        pytest.param(
            {"by": "user", "map": {1: "render", "*": "comp"}},
            {"swf-1": "render", "swf-4": "comp", "swf-5": "render", "swf-6": "comp"},
            id="by user, with a default",
        ),
        pytest.param(
            {"by": "group", "map": {"1": "render", "2": "comp"}},
            {"swf-1": "render", "swf-4": "comp", "swf-5": "render", "swf-6": "render"},
            id="by group",
        ),
        pytest.param(
            {"by": "executable", "map": {"2": "render", "3.0": "comp", 4: "comp"}},
            {"swf-1": "render", "swf-4": "comp", "swf-5": "render", "swf-6": "comp"},
            id="by executable",
        ),
        pytest.param(
            {"by": "queue", "map": {"1": "render", "2": "comp"}},
            {"swf-1": "render", "swf-4": "comp", "swf-5": "render", "swf-6": "comp"},
            id="by queue",
        ),
        pytest.param(
            {"by": "partition", "map": {"1": "render", "*": "comp"}},
            {"swf-1": "render", "swf-4": "render", "swf-5": "comp", "swf-6": "comp"},
            id="by partition",
        ),
    ],
)
def test_swf_queue_from_a_field(folder: Path, rule: dict[str, Any], queues: dict[str, str]) -> None:
    path = write(folder, "t.swf", SWF)
    jobs = read_ok({"file": path, "queue": rule}, folder)
    assert {j.name: j.queue for j in jobs} == queues


def test_swf_priority_from_a_field_or_one_value(folder: Path) -> None:
    path = write(folder, "t.swf", SWF)
    by_queue = read_ok(
        {"file": path, "queue": "comp", "priority": {"by": "queue", "map": {1: 10, "*": 90}}},
        folder,
    )
    fixed = read_ok({"file": path, "queue": "comp", "priority": 0}, folder)
    assert {j.name: j.priority for j in by_queue} == {
        "swf-1": 10,
        "swf-4": 90,
        "swf-5": 10,
        "swf-6": 90,
    }
    assert {j.priority for j in fixed} == {0}


def test_swf_unmapped_values_are_reported_once_each(folder: Path) -> None:
    # GIVEN a map by user that misses users 2 and 7 (user 2's first job was canceled: skipped)
    path = write(folder, "t.swf", SWF)
    result = read({"file": path, "queue": {"by": "user", "map": {1: "render"}}}, folder)
    assert result.problems == [
        f"{SWF_AT}, line 13: no queue for user 2: queue.map has neither '2' nor '*' (1 job with "
        "this user id, the first on this line)",
        f"{SWF_AT}, line 11: no queue for user 7: queue.map has neither '7' nor '*' (1 job with "
        "this user id, the first on this line)",
    ]
    assert result.jobs is None


def test_swf_unmapped_values_count_their_jobs(folder: Path) -> None:
    path = write(folder, "t.swf", SWF)
    result = read(
        {"file": path, "queue": "render", "priority": {"by": "queue", "map": {2: 1}}}, folder
    )
    assert result.problems == [
        f"{SWF_AT}, line 7: no priority for queue 1: priority.map has neither '1' nor '*' (2 jobs "
        "with this queue number, the first on this line)",
    ]


def test_swf_needs_a_queue_when_the_farm_has_several(folder: Path) -> None:
    path = write(folder, "t.swf", SWF)
    assert read(path, folder).problems == [
        "workload.replay: missing required key 'queue' (the farm has 2 queues: 'render', "
        "'comp'); name the queue of the trace's jobs, or map a trace field to queues with "
        "{by: FIELD, map: {VALUE: QUEUE}}"
    ]


def test_swf_limit_takes_the_first_job_lines(folder: Path) -> None:
    path = write(folder, "t.swf", SWF)
    three = read({"file": path, "queue": "render", "limit": 3}, folder)
    four = read_ok({"file": path, "queue": "render", "limit": 4}, folder)
    assert [j.name for j in three.jobs or ()] == ["swf-1"]
    assert three.notes == [SWF_NOTE]
    assert [j.name for j in four] == ["swf-1", "swf-4"]


def test_swf_offset_shifts_every_job(folder: Path) -> None:
    path = write(folder, "t.swf", SWF)
    jobs = read_ok({"file": path, "queue": "render", "offset": "1m"}, folder)
    assert [j.at for j in jobs] == [60.0, 90.0, 100.0, 660.0]


def test_swf_gzipped(folder: Path) -> None:
    with gzip.open(folder / "traces" / "t.swf.gz", "wt") as stream:
        stream.write(SWF)
    jobs = read_ok({"file": "traces/t.swf.gz", "queue": "comp"}, folder)
    assert {j.name: (j.at, j.run_time) for j in jobs} == SWF_JOBS


def _swf_with_line_12(line: str) -> str:
    lines = SWF.splitlines()
    lines[11] = line
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("line", "problems"),
    [
        pytest.param(
            "5 140 0 45 1 -1 -1 1 100 -1 0 1 1 2 1 2 -1",
            [f"{SWF_AT}, line 12: expected 18 whitespace-separated fields (got 17)"],
            id="17 fields",
        ),
        pytest.param(
            "5 140 0 45 1 -1 -1 1 100 -1 0 1 1 2 1 2 -1 -1 -1",
            [f"{SWF_AT}, line 12: expected 18 whitespace-separated fields (got 19)"],
            id="19 fields",
        ),
        pytest.param(
            "5 140 0 4m 1 -1 -1 1 100 -1 0 1 1 2 1 2 -1 -1",
            [f"{SWF_AT}, line 12: field 4 (run time) must be a number (got '4m')"],
            id="not a number",
        ),
        pytest.param(
            "5 inf 0 45 1 -1 -1 1 100 -1 0 1 1 2 1 2 -1 -1",
            [f"{SWF_AT}, line 12: field 2 (submit time) must be a number (got 'inf')"],
            id="infinite",
        ),
        pytest.param(
            "5 140 0 45 1 -1 -1 1 100 -1 0 nan 1 2 1 2 -1 -1",
            [f"{SWF_AT}, line 12: field 12 (user id) must be a number (got 'nan')"],
            id="nan",
        ),
    ],
)
def test_swf_malformed_lines(folder: Path, line: str, problems: list[str]) -> None:
    path = write(folder, "t.swf", _swf_with_line_12(line))
    result = read({"file": path, "queue": "render"}, folder)
    assert result.problems == problems
    assert result.jobs is None


def test_swf_problems_are_capped_per_file(folder: Path) -> None:
    bad = "".join(f"{i} 0 0 1\n" for i in range(1, 31))
    path = write(folder, "t.swf", f"; Version: 2.2\n{bad}")
    problems = read({"file": path, "queue": "render"}, folder).problems
    assert len(problems) == MAX_PROBLEMS_PER_FILE + 1
    assert problems[0] == f"{SWF_AT}, line 2: expected 18 whitespace-separated fields (got 4)"
    assert problems[-1] == f"{SWF_AT}: ... and 10 more problems in this file"


@pytest.mark.parametrize(
    ("options", "problems"),
    [
        pytest.param(
            {"queue": 3},
            [
                "workload.replay.queue: must be a queue name or a mapping {by: "
                f"{BY}, map: {{VALUE: QUEUE}}}} (got 3)"
            ],
            id="queue type",
        ),
        pytest.param(
            {"queue": "lighting"},
            ["workload.replay.queue: unknown queue 'lighting' (defined: 'render', 'comp')"],
            id="unknown queue",
        ),
        pytest.param(
            {"queue": {"by": "users", "map": {1: "render"}}},
            [
                "workload.replay.queue.by: must be one of queue, partition, user, group, "
                "executable (got 'users')"
            ],
            id="by unknown field",
        ),
        pytest.param(
            {"queue": {"map": {1: "render"}}},
            ["workload.replay.queue: missing required key 'by'"],
            id="no by",
        ),
        pytest.param(
            {"queue": {"by": "user", "map": {1: "render"}, "else": "comp"}},
            ["workload.replay.queue: unknown key 'else' (expected one of: by, map)"],
            id="unknown rule key",
        ),
        pytest.param(
            {"queue": {"by": "user", "map": {}}},
            ["workload.replay.queue.map: must have at least one entry"],
            id="empty map",
        ),
        pytest.param(
            {"queue": {"by": "user", "map": ["render"]}},
            ["workload.replay.queue.map: must be a mapping (got a list)"],
            id="map not a mapping",
        ),
        pytest.param(
            {"queue": {"by": "user", "map": {"alice": "render"}}},
            ["workload.replay.queue.map: keys must be field values (numbers) or '*' (got 'alice')"],
            id="map key not a number",
        ),
        pytest.param(
            {"queue": {"by": "user", "map": {1: "render", "1.0": "comp"}}},
            ["workload.replay.queue.map: the value 1 appears more than once"],
            id="map key twice",
        ),
        pytest.param(
            {"queue": {"by": "user", "map": {1: "lighting", "*": 7}}},
            [
                "workload.replay.queue.map.1: unknown queue 'lighting' (defined: 'render', 'comp')",
                "workload.replay.queue.map.*: must be a string (got 7)",
            ],
            id="map values",
        ),
        pytest.param(
            {"queue": "render", "priority": 101},
            ["workload.replay.priority: must be between 0 and 100 (got 101)"],
            id="priority 101",
        ),
        pytest.param(
            {"queue": "render", "priority": "high"},
            [
                "workload.replay.priority: must be an integer from 0 to 100 or a mapping {by: "
                f"{BY}, map: {{VALUE: PRIORITY}}}} (got 'high')"
            ],
            id="priority type",
        ),
        pytest.param(
            {"queue": "render", "priority": {"by": "queue", "map": {"*": 200}}},
            ["workload.replay.priority.map.*: must be between 0 and 100 (got 200)"],
            id="mapped priority 200",
        ),
        pytest.param(
            {"queue": "render", "offset": "-1h"},
            ["workload.replay.offset: must be >= 0 (got '-1h')"],
            id="negative offset",
        ),
        pytest.param(
            {"queue": "render", "limit": 0},
            ["workload.replay.limit: must be >= 1 (got 0)"],
            id="limit 0",
        ),
        pytest.param(
            {"queue": "render", "limit": "all"},
            ["workload.replay.limit: must be an integer (got 'all')"],
            id="limit type",
        ),
    ],
)
def test_swf_option_problems(folder: Path, options: dict[str, Any], problems: list[str]) -> None:
    path = write(folder, "t.swf", SWF)
    result = read({"file": path, **options}, folder)
    assert result.problems == problems
    assert result.jobs is None


def test_swf_fast_and_line_by_line_reading_agree(folder: Path) -> None:
    # GIVEN the sample trace, and the same with a number numpy refuses but Python reads (1_0)
    path = write(folder, "t.swf", SWF)
    fast = read_ok({"file": path, "queue": "render"}, folder)
    slow_path = write(folder, "u.swf", SWF.replace("  1 -1 -1  1  100", "  1 -1 -1  1  1_00", 1))
    slow = read_ok({"file": slow_path, "queue": "render"}, folder)
    # THEN both give the same jobs
    assert [(j.name, j.at, j.run_time) for j in slow] == [(j.name, j.at, j.run_time) for j in fast]


@pytest.mark.slow
def test_a_big_swf_trace_reads_in_seconds(tmp_path: Path) -> None:
    # GIVEN a trace of 300,000 jobs
    lines = [
        f"{i} {i * 7} 0 {i % 5000} 1 -1 -1 1 3600 -1 1 {i % 50} 1 -1 {i % 3} 1 -1 -1\n"
        for i in range(1, 300_001)
    ]
    (tmp_path / "big.swf").write_text("; Version: 2.2\n" + "".join(lines))
    # WHEN read THEN it takes a few seconds at most
    began = time.perf_counter()
    jobs = read_ok(
        {"file": "big.swf", "queue": {"by": "queue", "map": {0: "render", "*": "comp"}}}, tmp_path
    )
    assert time.perf_counter() - began < 10.0
    assert len(jobs) == 300_000


# --- end to end ----------------------------------------------------------------------------------


def _farm(queues: tuple[str, ...], workers: int = 4) -> dict[str, Any]:
    """A scenario mapping with no workload: queues served by one fixed fleet, and a runtime
    rule (1 hour) that replayed SWF jobs must not use."""
    return {
        "name": "replay",
        "seed": 1,
        "farm": {
            "displayName": "studio",
            "queues": [{"displayName": q, "fleets": ["linux"]} for q in queues],
            "fleets": [
                {
                    "displayName": "linux",
                    "maxWorkerCount": workers,
                    "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                    "simulation": {"workers": workers},
                }
            ],
        },
        "runtimes": [{"match": {}, "duration": "1h"}],
    }


def _runs_by_job(result: Any) -> pd.DataFrame:
    """Task runs with their job's name and submit time."""
    jobs = result.jobs.astype({"job_id": str, "name": str})[["job_id", "name", "submitted_at"]]
    runs = result.task_runs.astype({"job_id": str, "status": str})
    merged = runs.merge(jobs, on="job_id")
    merged["duration"] = merged["ended_at"] - merged["started_at"]
    return merged


def test_a_replayed_swf_trace_runs_for_its_recorded_run_times(folder: Path) -> None:
    # GIVEN a scenario whose jobs are the sample trace's
    scenario = scenario_from_dict(_farm(("render",)), base_dir=folder)
    path = write(folder, "t.swf", SWF)
    scenario = dataclasses.replace(scenario, jobs=read_ok(path, folder, queues=("render",)))

    # WHEN it runs to the end
    sim = Simulation(scenario)
    sim.run()
    runs = _runs_by_job(sim.result())

    # THEN every job was submitted at its trace time and its one task ran for its run time
    assert runs["status"].tolist() == ["SUCCEEDED"] * 4
    assert_times(runs, SWF_JOBS)


def assert_times(runs: pd.DataFrame, expected: dict[str, tuple[float, float]]) -> None:
    """One task run per job, with these (submit time, duration) by job name."""
    assert sorted(runs["name"]) == sorted(expected)
    assert dict(zip(runs["name"], runs["submitted_at"], strict=True)) == pytest.approx(
        {name: at for name, (at, _) in expected.items()}
    )
    assert dict(zip(runs["name"], runs["duration"], strict=True)) == pytest.approx(
        {name: run for name, (_, run) in expected.items()}
    )


def _swf_columns(path: Path) -> list[tuple[int, float, float, int]]:
    """(job number, submit time, run time, queue number) of each job line, read plainly."""
    rows = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith(";"):
            fields = line.split()
            rows.append((int(fields[0]), float(fields[1]), float(fields[3]), int(fields[14])))
    return rows


def test_the_example_trace_replays_with_its_times(tmp_path: Path) -> None:
    # GIVEN the example farm (render and comp queues) and the example SWF trace, mapped by queue
    example = EXAMPLES / "traces" / "sample.swf"
    assert "SYNTHETIC" in example.read_text()
    scenario = farmsim.load_scenario(EXAMPLES / "quickstart.yaml")
    result = read(
        {"file": "traces/sample.swf", "queue": {"by": "queue", "map": {1: "render", 2: "comp"}}},
        EXAMPLES,
    )
    assert result.problems == []
    trace = _swf_columns(example)
    kept = [row for row in trace if row[2] >= 0]
    assert len(trace) == 200
    assert result.notes == [
        f"workload.replay: traces/sample.swf: {len(trace) - len(kept)} jobs skipped (run time "
        "unknown, usually canceled before they started)"
    ]

    # WHEN it runs to the end
    sim = Simulation(dataclasses.replace(scenario, jobs=result.jobs))
    sim.run()
    runs = _runs_by_job(sim.result())

    # THEN each trace job ran once, submitted at its submit time, for its run time
    first = trace[0][1]
    expected = {f"swf-{n}": (submit - first, run) for n, submit, run, _ in kept}
    assert_times(runs, expected)
    assert set(runs["status"]) == {"SUCCEEDED"}
    queues = dict(
        zip(
            sim.result().jobs["name"].astype(str),
            sim.result().jobs["queue"].astype(str),
            strict=True,
        )
    )
    assert all(queues[f"swf-{n}"] == ("render" if q == 1 else "comp") for n, _, _, q in kept)


def test_the_example_submissions_replay_at_their_recorded_times() -> None:
    # GIVEN the quickstart farm and the example CSV of recorded submissions
    scenario = farmsim.load_scenario(EXAMPLES / "quickstart.yaml")
    jobs = read_ok("traces/submissions.csv", EXAMPLES, start=scenario.start)
    assert 10 <= len(jobs) <= 20
    assert {j.template for j in jobs} == {
        str(EXAMPLES / "traces" / "../templates/render.yaml"),
        str(EXAMPLES / "traces" / "../templates/comp.yaml"),
    }

    # WHEN they run for 4 simulated hours
    sim = Simulation(dataclasses.replace(scenario, jobs=jobs))
    sim.run(until=4 * 3600.0)
    table = sim.result().jobs.astype({"name": str})

    # THEN every job was submitted at its recorded time (seconds after 09:00Z), by name
    assert table["submitted_at"].tolist() == [j.at for j in jobs]
    assert table["name"].tolist() == [j.structure.name for j in jobs]
    assert jobs[0].at == 131.0  # 09:02:11Z
