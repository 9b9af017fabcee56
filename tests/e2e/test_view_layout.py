"""Honest charts, in a real Chromium: every live view of every trainable architecture, drawn the way the
run page draws it, in a panel as wide as the page gives it on a 375 px phone and on a 1440 px desktop:

- every label (tick labels, axis and colour-bar titles, legend entries, annotations, the title) lies
  inside the figure;
- the legend covers no title, axis title, tick label or annotation, and no two labels overlap;
- every label the figure declares is drawn (Plotly hides an annotation placed outside its axes).

The figures come from short real runs on built-in data of every kind each architecture accepts, on
uploads whose class and column names are long and hold markup, and on the variants that draw more
(the conditional GAN's labelled rows, the VAE's decoded latent grid)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import plotly as plotly_package
import pytest

from models_lib import data as builtin_data
from models_lib import registry
from models_lib.kit.figures import PHONE_PANEL
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM_ARGS
from tests.models_lib.test_figure_text import UPLOADS, _upload

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
DESKTOP_PANEL = 548  # px: a view's panel on a 1440 px desktop (two panels a row; static/css/site.css)
PANEL_HEIGHT = 360  # px: .view-chart's min-height
EXTRA = [("gan", "digits", {"variant": "conditional"}), ("vae", "digits", {"latent_size": 2})]

DRAW = """
async ([fig, height]) => {
  const el = document.getElementById("panel");
  Plotly.purge(el);
  el.style.height = fig.layout && fig.layout.height ? "" : `${height}px`;
  // as static/js/job.js draws a view
  const layout = { ...BASE_LAYOUT, hovermode: "closest", ...(fig.layout || {}) };
  await Plotly.newPlot(el, fig.data, layout, { displaylogo: false });
}
"""

CHECK = """
(fig) => {
  const el = document.getElementById("panel");
  const visible = (e) => {
    const b = e.getBoundingClientRect();
    return b.width > 0 && b.height > 0 && (e.textContent || "").trim() !== "" && getComputedStyle(e).display !== "none";
  };
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const name = (e) => JSON.stringify((e.textContent || "").slice(0, 40));
  const problems = [];
  const root = el.getBoundingClientRect();
  for (const t of [...el.querySelectorAll(".main-svg text")].filter(visible)) {
    if (!t.closest(".hoverlayer") && !inside(t.getBoundingClientRect(), root)) problems.push(`${name(t)} is outside the figure`);
  }
  const legend = el.querySelector(".legend .bg");
  if (legend) {
    const box = legend.getBoundingClientRect();
    for (const t of el.querySelectorAll(".annotation-text, .xtitle, .ytitle, .xtick text, .ytick text, .cbtitle text")) {
      if (visible(t) && overlap(box, t.getBoundingClientRect())) problems.push(`the legend covers ${name(t)}`);
    }
  }
  const labels = [...el.querySelectorAll(".annotation-text")].filter(visible);
  labels.forEach((a, i) => labels.slice(i + 1).forEach((b) => {
    if (overlap(a.getBoundingClientRect(), b.getBoundingClientRect())) problems.push(`${name(a)} overlaps ${name(b)}`);
  }));
  const declared = ((fig.layout || {}).annotations || []).filter((a) => a.text).length;
  if (labels.length !== declared) problems.push(`${labels.length} of its ${declared} labels are drawn`);
  return problems;
}
"""


def _runs() -> list[tuple[str, str, dict]]:
    """Each trainable architecture on a built-in dataset of every (kind, task) it accepts, its default first."""
    runs = []
    for spec in registry.trainable():
        builtins = sorted(builtin_data.builtin_all(), key=lambda b: b.slug != spec.default_dataset)
        for accepts in spec.accepts:
            found = next((b for b in builtins if (b.kind, b.task) == (accepts.kind, accepts.task)), None)
            if found is not None:
                runs.append((spec.slug, found.slug, {}))
    return runs + EXTRA


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict[str, dict]:
    """Every view the runs draw: {"slug on data (config): view": figure}."""
    tmp = tmp_path_factory.mktemp("uploads")
    out: dict[str, dict] = {}
    for slug, dataset, config in _runs():
        spec = registry.get(slug)
        result = spec.run({"epochs": 1, **config}, builtin_data.load(dataset), device="cpu", view_interval_s=0.0)
        out.update({f"{slug} on {dataset} {config or ''}: {key}": fig for key, fig in result.views.items() if fig})
    for spec in registry.trainable():
        for key, (kind, task, *_) in UPLOADS.items():
            if spec.accepts_data({"kind": kind, "task": task}):
                result = spec.run({"epochs": 1}, _upload(tmp, key), device="cpu", view_interval_s=0.0)
                out.update({f"{spec.slug} on hostile {key}: {view}": fig for view, fig in result.views.items() if fig})
    return out


def _base_layout() -> str:
    """The layout the run page puts under every view (static/js/job.js), as JavaScript."""
    source = (ROOT / "static/js/job.js").read_text()
    found = re.search(r"const BASE_LAYOUT = (\{.*?\n\});", source, re.S)
    assert found, (
        "static/js/job.js has no `const BASE_LAYOUT = {...};`: read the run page's view layout from its new place"
    )
    look = (ROOT / "static/js/chart-style.js").read_text().replace("export const", "const")
    # job.js builds BASE_LAYOUT on the site's shared chart look (static/js/chart-style.js)
    return f"(() => {{ {look}; return {found.group(1)}; }})()"


def test_every_view_keeps_its_labels_inside_and_uncovered_on_a_phone_and_a_desktop(figures):
    from playwright.sync_api import sync_playwright

    from tests.conftest import require_service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    require_service(bool(chromium), "Debian's chromium", "apt-get install chromium (.ci/run does)")
    plotly = Path(plotly_package.__file__).parent / "package_data/plotly.min.js"
    slugs = {name.split(" ")[0] for name in figures}
    assert slugs == {s.slug for s in registry.trainable()}, "every trainable architecture draws a view"
    found: list[str] = []
    shots = ARTIFACTS / "views"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        for viewport, width in ((375, PHONE_PANEL), (1440, DESKTOP_PANEL)):
            page = browser.new_page(viewport={"width": viewport, "height": 900})
            page.set_content(f"<body style='margin:0'><div id='panel' style='width:{width}px'></div></body>")
            page.add_script_tag(path=str(plotly))
            page.add_script_tag(content=f"window.BASE_LAYOUT = {_base_layout()};")
            for name, fig in figures.items():
                page.evaluate(DRAW, [fig, PANEL_HEIGHT])
                found += [f"{viewport} px, {name}: {p}" for p in page.evaluate(CHECK, fig)]
                slug = re.sub(r"[^\w]+", "-", name)
                page.locator("#panel").screenshot(path=str(shots / f"{slug}-{viewport}.png"))
            page.close()
        browser.close()
    assert not found, "\n".join(found)
