"""The HTML pages farmsim writes, opened in a real headless Chromium: a run's report.html and a
comparison's. The browser lays each page out and paints it; the tests check the headings, that
every figure's image decodes and takes room on the page, and that the screenshot is not blank.

Skipped when no Chromium (``chromium``, ``chromium-browser``, ``google-chrome``) is on the PATH;
install one with ``apt-get install -y chromium``. :func:`render_in_browser` and the helpers
after it are meant for other pages' tests too (a sweep's report).
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import farmsim

ROOT = Path(__file__).resolve().parents[1]
#: The browsers tried, in order.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: The window the pages are laid out and painted in.
WINDOW = (1280, 2000)
#: Seconds a browser may take for one page before the test fails.
TIMEOUT = 90
#: The id of the element :data:`_MEASURE` adds to the page: the layout of its figures, as JSON.
LAYOUT_ID = "farmsim-layout"
#: A script added to a copy of the page (the page itself has none): once it has loaded, it
#: writes each image's and inline SVG's size as drawn, and each image's decoded size, into a
#: <pre id="farmsim-layout"> at the end of the body, which --dump-dom then shows.
_MEASURE = """<script>
window.addEventListener("load", function () {
  var found = [];
  document.querySelectorAll("img, svg").forEach(function (el) {
    var box = el.getBoundingClientRect();
    var img = el.tagName.toLowerCase() === "img";
    found.push({tag: el.tagName.toLowerCase(), alt: el.getAttribute("alt"),
                complete: img ? el.complete : true,
                natural: img ? [el.naturalWidth, el.naturalHeight] : null,
                drawn: [box.width, box.height]});
  });
  var pre = document.createElement("pre");
  pre.id = "%s";
  pre.textContent = JSON.stringify(found);
  document.body.appendChild(pre);
});
</script>""" % LAYOUT_ID  # noqa: UP031 - (the braces of the script stay as they are)


def find_browser() -> str | None:
    """The first Chromium of :data:`BROWSERS` on the PATH, or None."""
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def require_browser() -> str:
    """:func:`find_browser`'s Chromium; skips the test, saying why, when there is none."""
    browser = find_browser()
    if browser is None:
        pytest.skip("no headless Chromium to open the page in (none of "
                    f"{', '.join(BROWSERS)} is on the PATH; apt-get install -y chromium)")
    return browser


def _run(command: list[str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{Path(command[0]).name} took over {TIMEOUT} s to {what}")
    if done.returncode != 0:
        pytest.fail(f"{Path(command[0]).name} could not {what} (exit {done.returncode}):\n"
                    + done.stderr[-2000:])
    return done


def render_in_browser(html_path: Path, tmp_path: Path) -> tuple[str, Path]:
    """Open ``html_path`` in a headless Chromium: its DOM once loaded (of a copy with
    :data:`_MEASURE` added: see :func:`figures`), and a screenshot of the page in a
    :data:`WINDOW` window (a PNG in ``tmp_path``). Skips the test when there is no Chromium.
    """
    browser = require_browser()
    page = html_path.read_text(encoding="utf-8")
    assert page.count("</body>") == 1, f"{html_path}: no single </body>"
    measured = tmp_path / f"{html_path.stem}.measured.html"
    measured.write_text(page.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    png = tmp_path / f"{html_path.stem}.png"

    def command(profile: str, *args: str) -> list[str]:
        return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                f"--user-data-dir={tmp_path / profile}",
                f"--window-size={WINDOW[0]},{WINDOW[1]}", *args]

    dom = _run(command("profile-dom", "--dump-dom", measured.resolve().as_uri()),
               f"load {html_path}").stdout
    _run(command("profile-png", f"--screenshot={png}", html_path.resolve().as_uri()),
         f"take a screenshot of {html_path}")
    assert png.is_file(), f"no screenshot of {html_path}"
    return dom, png


def figures(dom: str) -> list[dict[str, Any]]:
    """The images and inline SVGs of a page rendered by :func:`render_in_browser`, in page
    order: ``tag``, ``alt``, ``complete`` (loaded), ``natural`` (an image's decoded width and
    height) and ``drawn`` (the width and height it takes on the page, in CSS pixels)."""
    start = dom.find(f'<pre id="{LAYOUT_ID}">')
    assert start >= 0, "the page's layout was not measured (did it load?)"
    text = dom[start + len(f'<pre id="{LAYOUT_ID}">'):dom.index("</pre>", start)]
    return list(json.loads(html.unescape(text)))


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._tag: str | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("h1", "h2", "h3"):
            self._tag = tag
            self.found.append((tag, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._tag:
            self._tag = None

    def handle_data(self, data: str) -> None:
        if self._tag is not None:
            tag, text = self.found[-1]
            self.found[-1] = (tag, text + data)


def headings(dom: str, level: str) -> list[str]:
    """The text of the page's headings of ``level`` (``h1``, ``h2``, ``h3``), in order."""
    parser = _Headings()
    parser.feed(dom)
    return [text.strip() for tag, text in parser.found if tag == level]


def assert_figures_drawn(dom: str, alts: list[str]) -> None:
    """The page's figures are images with the alt texts ``alts``, in order, each loaded,
    decoded (a natural size) and drawn with a size on the page."""
    found = figures(dom)
    assert [f["alt"] for f in found if f["tag"] == "img"] == alts
    for f in found:
        assert f["complete"], f
        assert f["drawn"][0] > 100 and f["drawn"][1] > 50, f
        if f["tag"] == "img":
            assert f["natural"][0] > 100 and f["natural"][1] > 50, f


def assert_not_blank(png: Path) -> np.ndarray:
    """The screenshot ``png`` is of the whole window and shows a page: many distinct colours
    (text, tables, plots), and ink in its top and bottom halves. Returns its pixels."""
    from matplotlib.image import imread

    pixels = imread(png)
    assert pixels.shape[:2] == (WINDOW[1], WINDOW[0]), pixels.shape
    rgb = (np.asarray(pixels)[..., :3] * 255).round().astype(np.uint8)
    colours = np.unique(rgb.reshape(-1, 3), axis=0)
    assert len(colours) > 200, f"{png}: {len(colours)} colours, a blank page?"
    ink = (rgb < 200).any(axis=2)  # (pixels darker than a light grey)
    half = WINDOW[1] // 2
    assert ink[:half].mean() > 0.01 and ink[half:].mean() > 0.01, png
    return pixels


# ---------------------------------------------------------------------------- the pages


def test_a_run_report_renders_in_a_browser(tmp_path: Path) -> None:
    # GIVEN the report of the quickstart's first two hours
    from farmsim.analysis import write_report
    from farmsim.analysis.report import PLOTS

    require_browser()  # (before the run: nothing to do without a browser)
    result = farmsim.simulate(ROOT / "scenarios" / "quickstart.yaml", until="2h")
    page = write_report(result, tmp_path / "report.html")
    # WHEN a browser opens it
    dom, png = render_in_browser(page, tmp_path)
    # THEN it has the report's headings, and every plot drawn as a decoded image
    assert headings(dom, "h1") == ["farmsim report: quickstart"]
    assert headings(dom, "h2") == ["Summary", "Plots", "Fairness", "Fleets"]
    assert "Limits" in headings(dom, "h3")
    assert_figures_drawn(dom, [plot(result).get_title() for plot, _ in PLOTS])
    # AND its screenshot shows a page
    assert_not_blank(png)


def test_a_comparison_report_renders_in_a_browser(tmp_path: Path) -> None:
    # GIVEN the report of two variants of a small scenario
    from farmsim.analysis import write_comparison_report
    from tests.unit.analysis.test_comparison import arrivals_data

    require_browser()
    scenario = farmsim.scenario_from_dict(arrivals_data(), base_dir=ROOT / "scenarios")
    comparison = farmsim.compare(scenario, ["fifo", "more"], until="2h")
    page = write_comparison_report(comparison, tmp_path / "report.html")
    # WHEN a browser opens it
    dom, png = render_in_browser(page, tmp_path)
    # THEN it has the comparison's headings, and its four figures drawn as decoded images
    assert headings(dom, "h1") == ["farmsim comparison: arrivals"]
    assert headings(dom, "h2") == ["Variants", "Metrics", "Plots"]
    assert_figures_drawn(dom, ["Job turnaround, priority 80", "Task wait by priority",
                               "Worker share among jobs of equal priority",
                               "Jobs in progress"])
    assert_not_blank(png)
