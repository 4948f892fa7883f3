"""The README's picture of a sweep report: docs/images/sweep_report.png.

Runs the README's license what-if study of ``scenarios/license_whatif.yaml`` (the ``nuke``
limit at 8, 12, 16, 20 and 24 licenses, 10 replications each on common random numbers, the
target p95 turnaround under 4 hours, delay priced at $4 per job-hour), saves the sweep with
its report.html, and takes a picture of the report:

- with Chromium installed, a headless screenshot of the top of the page (1200 x 1400 pixels),
  reduced to 256 colours to keep the PNG small;
- without it, a matplotlib figure of the report's two main plots side by side: p95 turnaround
  against the license count with its confidence band and the target, and cost against service
  level with the Pareto front.

Run it from the repository's root::

    .venv/bin/python benchmarks/readme_sweep_picture.py [--out out/readme-sweep] [--no-browser]

The sweep's folder keeps its runs: run again, the script reuses them (the sweep resumes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import farmsim

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "license_whatif.yaml"
PICTURE = ROOT / "docs" / "images" / "sweep_report.png"
COUNTS = [8, 12, 16, 20, 24]
REPLICATIONS = 10
DELAY_COST_PER_HOUR = 4.0
#: The browser window the screenshot is taken in (the top of the page).
WINDOW = (1200, 1400)
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def run_study(out: Path) -> farmsim.Sweep:
    # (the scenario's path relative to here, as the report shows it)
    return farmsim.license_whatif(os.path.relpath(SCENARIO), "nuke", COUNTS,
                                  replications=REPLICATIONS,
                                  delay_cost_per_hour=DELAY_COST_PER_HOUR, jobs=2, out=out)


def screenshot(browser: str, page: Path, picture: Path) -> None:
    """A headless screenshot of the top of ``page``, as a 256-colour PNG at ``picture``."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "page.png"
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--hide-scrollbars", f"--user-data-dir={Path(tmp) / 'profile'}",
             f"--screenshot={raw}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
             page.resolve().as_uri()],
            check=True, capture_output=True, timeout=300)
        with Image.open(raw) as image:
            small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            small.save(picture, optimize=True)


def plots_picture(sweep: farmsim.Sweep, picture: Path) -> None:
    """The report's two main plots side by side, drawn with matplotlib."""
    from matplotlib.figure import Figure

    from farmsim.analysis.sweep_plots import cost_service_plot, metric_plot

    figure = Figure(figsize=(14, 5.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    metric_plot(sweep, "job_turnaround_s.p95", ax=left)
    cost_service_plot(sweep, ax=right)
    figure.savefig(picture, dpi=90)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "readme-sweep",
                        help="the sweep's folder (default: out/readme-sweep)")
    parser.add_argument("--picture", type=Path, default=PICTURE,
                        help="the PNG to write (default: docs/images/sweep_report.png)")
    parser.add_argument("--no-browser", action="store_true",
                        help="draw the plots with matplotlib even when Chromium is installed")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    sweep = run_study(args.out)
    report = args.out / "report.html"
    print(f"sweep: {len(sweep.points)} points x {sweep.replications} replications in "
          f"{time.perf_counter() - started:.1f} s, {len(sweep.failures)} failed; saved in "
          f"{args.out}")
    if sweep.recommendation is not None:
        for line in sweep.recommendation.lines():
            print(f"  {line}")
    print(f"report: {report}")

    args.picture.parent.mkdir(parents=True, exist_ok=True)
    browser = None if args.no_browser else next(
        (found for name in BROWSERS if (found := shutil.which(name))), None)
    if browser is not None:
        screenshot(browser, report, args.picture)
        how = f"a screenshot of the report's top ({WINDOW[0]} x {WINDOW[1]}, {browser})"
    else:
        plots_picture(sweep, args.picture)
        how = "the report's p95 and cost-service plots, drawn with matplotlib"
    size = args.picture.stat().st_size
    print(f"picture: {args.picture} ({size / 1024:.0f} KB): {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
