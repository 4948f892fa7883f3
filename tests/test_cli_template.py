"""``farmsim template`` on the real OpenJD samples: steps, task and chunk counts, dependencies,
job and step environments, host requirements, and the limits each task run would acquire.

The samples live outside the repository, in ``<repo>/../shared/openjd-samples`` (or
``$FARMSIM_SHARED_DIR/openjd-samples``); the module skips itself when they are absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from farmsim.cli import main


def _samples_dir() -> Path:
    shared = os.environ.get("FARMSIM_SHARED_DIR")
    root = Path(shared) if shared else Path(__file__).resolve().parents[1].parent / "shared"
    return root / "openjd-samples"


SAMPLES = _samples_dir()
if not (SAMPLES / "README.md").is_file():
    pytest.skip(
        f"OpenJD samples not found at {SAMPLES} (set FARMSIM_SHARED_DIR to the folder holding "
        "openjd-samples/)",
        allow_module_level=True,
    )

BUNDLES = SAMPLES / "deadline-cloud-samples/job_bundles"
JOB_TEMPLATES = SAMPLES / "openjd-specifications/samples/v2023-09/job_templates"
CHUNKING_TEMPLATES = SAMPLES / ("openjd-specifications/conformance-tests/2023-09/TASK_CHUNKING/"
                               "job_templates")


def _show(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    """``farmsim template ARGS``'s output; the command must succeed."""
    code = main(["template", *map(str, args)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""
    return captured.out


def _section(out: str, first: str) -> str:
    """The lines of ``out`` from the one starting with ``first`` to the end."""
    return out[out.index(first):]


# ---------------------------------------------------------------------------- environments


def test_bundle_with_job_and_step_environments(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the job_env_vars bundle: a job environment and a step environment
    # WHEN it is shown
    out = _show(capsys, BUNDLES / "job_env_vars")

    # THEN its one step lists its environment, the job environment follows the steps, and it
    # names no limit and no host requirement
    assert _section(out, "steps, in dependency order") == (
        "steps, in dependency order\n"
        "  1. EnvSampleStep: 1 task\n"
        "       environments: StepEnv\n"
        "\n"
        "job environments: JobEnv\n"
        "\n"
        "total: 1 task run to schedule in 1 step\n"
    )


def test_three_step_bundle_with_dependencies_and_environments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the Maya/Arnold turntable bundle: three steps in a chain, a job environment and a
    # step environment on the render step
    out = _show(capsys, BUNDLES / "turntable_with_maya_arnold")

    # THEN the steps come upstream first, each with its task count, dependency and environment
    assert _section(out, "steps, in dependency order") == (
        "steps, in dependency order\n"
        "  1. PrepareSceneFile: 1 task\n"
        "  2. RenderSequence: 50 tasks\n"
        "       after: PrepareSceneFile\n"
        "       environments: Maya\n"
        "  3. EncodeVideo: 1 task\n"
        "       after: RenderSequence\n"
        "\n"
        "job environments: JobEnvVars\n"
        "\n"
        "total: 52 task runs to schedule in 3 steps\n"
    )


def test_conda_build_bundle_environments_requirements_and_given_parameters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the conda build bundle, its three parameters without a default given with --param
    bundle = SAMPLES / "deadline-cloud-samples/conda_recipes/conda_build_linux_package"
    out = _show(capsys, bundle, "--param", "RecipeName=blender", "--param",
                "RecipeDir=recipes/blender", "--param", "S3CondaChannel=s3://bucket/channel")

    # THEN the given values are shown as such; each step has its environment and attribute
    # requirements; the job environment is listed; and the attributes, which this release
    # reports but does not match to fleets, are noted with the number of steps naming them
    assert out.startswith(f"CondaBuild: blender  ({bundle})\n")
    assert "  RecipeName              STRING   blender  (--param)\n" in out
    assert "  BuildTool               STRING   conda-build  (default)\n" in out
    assert _section(out, "steps, in dependency order") == (
        "steps, in dependency order\n"
        "  1. PackageBuild: 1 task\n"
        "       environments: S3 Conda Channels\n"
        "       requires attr.worker.os.family any of ['linux']\n"
        "       requires attr.worker.cpu.arch any of ['x86_64']\n"
        "  2. ReindexCondaChannel: 1 task\n"
        "       after: PackageBuild\n"
        "       environments: ReindexingMutex\n"
        "       requires attr.worker.os.family any of ['linux']\n"
        "\n"
        "job environments: Package Build Env\n"
        "\n"
        "note: fleets must satisfy: attr.worker.cpu.arch (1 step), "
        "attr.worker.os.family (2 steps) (a step no fleet of its queue satisfies is "
        "NOT_COMPATIBLE)\n"
        "\n"
        "total: 2 task runs to schedule in 2 steps\n"
    )


# ---------------------------------------------------------------------------- host requirements


def test_host_requirement_amounts_and_attributes(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the OpenJD host-requirements sample: worker amounts with bounds and attributes
    out = _show(capsys, JOB_TEMPLATES / "host-requirements.yaml")

    # THEN each step lists its amounts (with their bounds) and attributes; worker amounts are
    # not limits, so no task run acquires one; every requirement is noted as not matched
    assert _section(out, "steps, in dependency order") == (
        "steps, in dependency order\n"
        "  1. StepOne: 1 task\n"
        "       requires amount.worker.vcpu (min 1, max 1)\n"
        "       requires amount.worker.memory (min 256, max 1024)\n"
        "       requires attr.worker.os.family any of ['linux', 'macos']\n"
        "       requires attr.custom.host_config any of ['HostConfigA', 'HostConfigC']\n"
        "  2. StepTwo: 1 task\n"
        "       requires amount.worker.vcpu (min 4, max 16)\n"
        "       requires amount.worker.memory (min 8192)\n"
        "       requires attr.worker.os.family any of ['linux']\n"
        "       requires attr.custom.host_config any of ['HostConfigB']\n"
        "\n"
        "note: fleets must satisfy: amount.worker.memory (2 steps), "
        "amount.worker.vcpu (2 steps), attr.custom.host_config (2 steps), "
        "attr.worker.os.family (2 steps) (a step no fleet of its queue satisfies is "
        "NOT_COMPATIBLE)\n"
        "\n"
        "total: 2 task runs to schedule in 2 steps\n"
    )
    assert "limits each task run acquires" not in out


def test_limits_each_task_run_would_acquire(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # GIVEN the host-requirements sample with license amounts added to its second step (no
    # published sample names a limit): 1.5 Nuke units (rounded up to 2) and a Maya license
    document = yaml.safe_load((JOB_TEMPLATES / "host-requirements.yaml").read_text())
    document["steps"][1]["hostRequirements"]["amounts"] += [
        {"name": "amount.license.nuke", "min": 1.5},
        {"name": "amount.license.maya", "max": 1},
    ]
    template = tmp_path / "licensed.yaml"
    template.write_text(yaml.safe_dump(document, sort_keys=False))

    # WHEN it is shown
    out = _show(capsys, template)

    # THEN the step lists the amounts with the units a task run would take, and a section
    # names, for each step holding limits, each amountRequirementName and its units
    assert ("       requires amount.license.nuke (min 1.5); as a limit: 2 unit(s) per task run\n"
            in out)
    assert ("       requires amount.license.maya (max 1); as a limit: 1 unit(s) per task run\n"
            in out)
    assert (
        "\nlimits each task run acquires (each must be a limit associated with the queue)\n"
        "  StepTwo: amount.license.nuke 2 units, amount.license.maya 1 unit\n"
        "\nnote: fleets must satisfy: "
    ) in out
    assert "StepOne:" not in _section(out, "limits each task run acquires")


# ---------------------------------------------------------------------------- chunking


def test_contiguous_chunks_with_a_target_runtime(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the Blender bundle rendering frames 1-100 in chunks of 5, with a target runtime
    bundle = BUNDLES / "task_chunking/blender_render_with_contiguous_chunks"
    out = _show(capsys, bundle, "--param", "BlenderSceneFile=/scenes/car.blend")

    # THEN the step counts chunks (at the default size), says how they are cut, shows the first
    # and last, and says that their size adapts to the target runtime
    assert _section(out, "steps, in dependency order") == (
        "steps, in dependency order\n"
        "  1. RenderBlender: 20 chunks\n"
        "       Frame = 1-100 (100 values), chunks of up to 5, CONTIGUOUS: "
        "1-5, 6-10, ..., 96-100\n"
        "       targetRuntimeSeconds 600: adaptive, chunks start at 5 frames and then take about "
        "600 s each at the observed time per frame\n"
        "\n"
        "total: 20 task runs to schedule in 1 step\n"
    )


def test_noncontiguous_chunks_of_a_sparse_frame_range(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the Blender bundle with a sparse frame list cut in NONCONTIGUOUS chunks of 5
    bundle = BUNDLES / "task_chunking/blender_render_with_non_contiguous_chunks"
    out = _show(capsys, bundle, "--param", "BlenderSceneFile=/scenes/car.blend")

    # THEN a chunk may span the gaps: its value is a range expression
    assert ("  1. RenderBlender: 11 chunks\n"
            "       Frame = 1-10,15,20-100:2 (52 values), chunks of up to 5, NONCONTIGUOUS: "
            "1-5, 6-10, ..., 94-100:2\n") in out


def test_contiguous_chunks_stop_at_gaps(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a CONTIGUOUS chunked step over frames with gaps (1, 10-12, 18-50)
    bundle = BUNDLES / "task_chunking/basic_contiguous_chunks"
    out = _show(capsys, bundle, "--param", "SceneFile=/scenes/shot.vrscene")

    # THEN chunks never span a gap: 37 frames make 6 chunks of up to 10, the first a lone frame
    assert ("  1. Render: 6 chunks\n"
            "       Frame = 1,10-12,18-50 (37 values), chunks of up to 10, CONTIGUOUS: "
            "1-1, 10-12, ..., 43-50\n") in out


@pytest.mark.parametrize(("template", "chunks"), [
    pytest.param("noncontiguous.yaml", "NONCONTIGUOUS: 1-5, 6-10", id="no target runtime"),
    pytest.param("target-runtime.yaml", "CONTIGUOUS: 1-5, 6-10", id="target runtime"),
])
def test_conformance_chunked_templates_list_every_chunk(
    capsys: pytest.CaptureFixture[str], template: str, chunks: str
) -> None:
    # GIVEN a TASK_CHUNKING conformance template: frames 1-10 in chunks of 5
    out = _show(capsys, CHUNKING_TEMPLATES / template)

    # THEN both chunks are listed, and the adaptive-size remark only with a target runtime
    assert ("  1. Step1: 2 chunks\n"
            f"       Frame = 1-10 (10 values), chunks of up to 5, {chunks}\n") in out
    assert ("targetRuntimeSeconds 60: adaptive" in out) == (template == "target-runtime.yaml")


def test_a_single_chunk_is_singular(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # GIVEN the larger-than-range conformance test's template: 5 frames, chunks of 100
    document = yaml.safe_load((SAMPLES / "openjd-specifications/conformance-tests/2023-09/"
                               "TASK_CHUNKING/jobs/larger-than-range.test.yaml").read_text())
    template = tmp_path / "larger-than-range.yaml"
    template.write_text(yaml.safe_dump(document["template"]))

    # WHEN / THEN it is one chunk holding every frame
    out = _show(capsys, template)
    assert "1 chunk\n       Frame = 1-5 (5 values), chunks of up to 100, CONTIGUOUS: 1-5\n" in out
    assert out.endswith("total: 1 task run to schedule in 1 step\n")


# ---------------------------------------------------------------------------- bad input


def test_parameters_without_a_default_are_named_with_how_to_give_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the After Effects bundle, four of whose parameters have no default, one given
    bundle = BUNDLES / "afterfx_render_one_task"

    # WHEN it is shown
    code = main(["template", str(bundle), "--param", "CompName=Main"])

    # THEN exit 2, naming the bundle and the three missing parameters with their types
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"farmsim template: error: {bundle}: job parameters without a default need a value: "
        "ProjectFile (PATH), InputDirectory (PATH), OutputDirectory (PATH); give them with "
        "--param ProjectFile=VALUE --param InputDirectory=VALUE --param OutputDirectory=VALUE\n"
    )


def test_broken_yaml_bundle_exits_2_with_line_and_column(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the chunking bundle published with a mis-indented `script:` block
    bundle = BUNDLES / "task_chunking/basic_non_contiguous_chunks"

    # WHEN / THEN exit 2, naming the template file and where the YAML breaks
    assert main(["template", str(bundle)]) == 2
    err = capsys.readouterr().err
    assert f"{bundle / 'template.yaml'}: not valid YAML: " in err
    assert "(line 31, column 7)" in err
    assert "Traceback" not in err


def test_an_environment_template_says_where_it_belongs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the repository's queue environment template (no samples needed)
    env = Path(__file__).resolve().parents[1] / "scenarios" / "templates" / "conda_queue_env.yaml"
    # WHEN shown as a job template THEN exit 2 saying how a scenario uses it, and naming no
    # function that is not public
    assert main(["template", str(env)]) == 2
    err = capsys.readouterr().err
    assert "this is an environment template (specificationVersion: environment-2023-09)" in err
    assert "farm.queues[].environments: [{template: FILE, priority: 0}]" in err
    assert "load_environment_template" not in err
