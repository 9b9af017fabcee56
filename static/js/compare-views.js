// Views side by side: one live view (a decision boundary, filters, samples...) of every compared run, each
// in its own panel, all drawn at the same epoch. The figures come whole from GET /api/jobs/compare/views
// (rebuilt from the runs' stored frames); the slider's stops are every epoch at which some run has a frame.
// Moving it fetches again (debounced); at its right end each run shows its latest frame, and while a run
// trains the page's live updates (compare.js sends "compare:progress") fetch the newest.

import { CHART_LOOK } from "./chart-style.js";

const DEBOUNCE_MS = 180;
// the run page's look for views (job.js): its margins, legend above the plot and colours
const VIEW_LAYOUT = {
  ...CHART_LOOK,
  margin: { l: 56, r: 24, t: 12, b: 48 },
  legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
  colorway: ["#4f46e5", "#ea580c", "#16a34a", "#db2777", "#0891b2", "#ca8a04"],
};
const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

const epochText = (epoch) => (Number.isInteger(epoch) ? String(epoch) : epoch.toFixed(2).replace(/0+$/, ""));

/** Starts the section on the page, when it has one; ``api`` is the comparison's views address,
 * ``onPick`` is called when another view is picked (the page keeps it in its address). */
export function startViews(api, onPick = () => {}) {
  const pick = document.getElementById("view-pick");
  const slider = document.getElementById("view-epoch");
  const grid = document.getElementById("view-grid");
  if (!pick || !slider || !grid || !api) return;
  const output = document.getElementById("view-epoch-value");
  const description = document.getElementById("view-description");
  const panels = new Map(
    [...grid.querySelectorAll(".run-view[data-run]")].map((panel) => [
      Number(panel.dataset.run),
      { panel, chart: panel.querySelector(".view-chart"), note: panel.querySelector("[data-frame-note]") },
    ]),
  );
  const state = { epochs: [], atEnd: true, asked: 0, timer: 0, controller: null };

  function epochAtSlider() {
    return state.epochs[Number(slider.value)] ?? null;
  }

  function showSlider() {
    const last = Math.max(state.epochs.length - 1, 0);
    slider.max = String(last);
    if (state.atEnd) slider.value = String(last);
    slider.disabled = state.epochs.length < 2;
    const epoch = epochAtSlider();
    const text = epoch === null ? "the latest epoch" : `epoch ${epochText(epoch)}`;
    output.textContent = text;
    slider.setAttribute("aria-valuetext", state.atEnd && epoch !== null ? `${text}, the latest` : text);
  }

  function note(run, asked) {
    if (!run.figure) return "No picture of this view from this run yet.";
    if (!run.history) return "Its last picture: the run's step-by-step history was removed.";
    const where = `epoch ${epochText(run.epoch)}, step ${run.step}`;
    if (asked !== null && run.epoch > asked + 1e-9) return `${where}: its first picture (none as early as epoch ${epochText(asked)}).`;
    return run.epoch === run.epochs[run.epochs.length - 1] ? `${where} (its latest)` : where;
  }

  function draw(body, asked) {
    const P = window.Plotly;
    for (const run of body.runs) {
      const shown = panels.get(run.id);
      if (!shown) continue;
      shown.note.textContent = note(run, asked);
      shown.chart.setAttribute("aria-label", `Run #${run.id}: ${body.view.title.toLowerCase()}${run.epoch === null ? "" : ` at epoch ${epochText(run.epoch)}`}`);
      if (!run.figure || !Array.isArray(run.figure.data) || !P) {
        if (shown.chart.classList.contains("has-plot")) P?.purge(shown.chart);
        shown.chart.classList.remove("has-plot");
        shown.chart.replaceChildren(Object.assign(document.createElement("p"), { className: "chart-empty muted", textContent: "Nothing to draw here." }));
        shown.chart.dataset.step = "";
        continue;
      }
      if (!shown.chart.classList.contains("has-plot")) shown.chart.replaceChildren();
      const layout = { ...VIEW_LAYOUT, hovermode: "closest", ...(run.figure.layout || {}), uirevision: body.view.key };
      P.react(shown.chart, run.figure.data, layout, CONFIG);
      shown.chart.classList.add("has-plot");
      shown.chart.dataset.step = String(run.step ?? "");
      shown.chart.dataset.epoch = String(run.epoch ?? "");
      shown.chart.dataset.draws = String(Number(shown.chart.dataset.draws || 0) + 1);
    }
  }

  async function load() {
    const asked = ++state.asked;
    state.controller?.abort();
    state.controller = new AbortController();
    const epoch = state.atEnd ? null : epochAtSlider();
    const url = `${api}&view=${encodeURIComponent(pick.value)}${epoch === null ? "" : `&epoch=${epoch}`}`;
    grid.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: state.controller.signal });
      const body = await response.json();
      if (asked !== state.asked) return; // a later request answers for the slider now
      if (!response.ok) {
        for (const shown of panels.values()) shown.note.textContent = body.detail || "These pictures could not be read.";
        return;
      }
      const before = epochAtSlider();
      state.epochs = body.epochs;
      if (!state.atEnd && before !== null) {
        const index = state.epochs.findIndex((e) => e >= before - 1e-9);
        slider.value = String(index < 0 ? state.epochs.length - 1 : index);
      }
      showSlider();
      draw(body, epoch);
      grid.dataset.view = body.view.key;
      grid.dataset.epoch = epoch === null ? "latest" : String(epoch);
    } catch (error) {
      if (error?.name !== "AbortError" && asked === state.asked) {
        for (const shown of panels.values()) shown.note.textContent = "The pictures could not be fetched; move the slider to try again.";
      }
    } finally {
      if (asked === state.asked) grid.setAttribute("aria-busy", "false");
    }
  }

  function loadSoon() {
    clearTimeout(state.timer);
    state.timer = setTimeout(load, DEBOUNCE_MS);
  }

  pick.addEventListener("change", () => {
    const option = pick.selectedOptions[0];
    if (description && option) description.textContent = option.dataset.description || "";
    state.atEnd = true;
    onPick();
    load();
  });
  slider.addEventListener("input", () => {
    state.atEnd = Number(slider.value) >= state.epochs.length - 1;
    showSlider();
    loadSoon();
  });
  // a compared run has moved on: at the live end, show its newest frames
  document.addEventListener("compare:progress", () => {
    if (state.atEnd) load();
  });
  load();
}
