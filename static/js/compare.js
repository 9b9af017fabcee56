// Runs side by side: one chart per metric axis (as a run's page has them), one colour per run, one
// line style per metric. The bottom axis is the step, the epoch or the wall time; smoothing is an
// exponential moving average as in TensorBoard, with the raw curve faint behind. How it is shown
// (x, smoothing, every setting or only the differences) stays in the address, so the link keeps it.
// While a compared run trains, the data is fetched again every few seconds.

import { plotlyText } from "./chart-text.js";
import { AXIS, CHART_LOOK } from "./chart-style.js";
import { startViews } from "./compare-views.js";

const REFRESH_MS = 5000;
const readJson = (id, fallback) => {
  const el = document.getElementById(id);
  if (!el) return fallback;
  try { return JSON.parse(el.textContent) ?? fallback; } catch { return fallback; }
};

const data = readJson("comparison-data", null);
const Plotly = () => window.Plotly;
const colors = new Map((data?.runs || []).map((run) => [run.id, run.color]));
const state = { x: data?.x || "step", smooth: Number(data?.smooth) || 0 };

const X_TITLES = { step: "training step", epoch: "epoch", time: "seconds since the run started training" };
// one line style per metric of a chart: held-out ones first (solid), then the training ones
const DASHES = ["solid", "dot", "dash", "dashdot", "longdash", "longdashdot"];
const SPLIT_ORDER = { test: 0, validation: 1, train: 2 };

const BASE_LAYOUT = {
  ...CHART_LOOK,
  margin: { l: 56, r: 16, t: 12, b: 48 },
  showlegend: false, // the runs' colours are listed above, each chart's line styles under it
  hovermode: "closest",
};
const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

const meaning = (key) => data?.metrics?.[key] || null;
const label = (key) => meaning(key)?.label || key.replace(/_/g, " ");

/** TensorBoard's smoothing: an exponential moving average, debiased so the first points are not pulled
 * towards zero. Gaps (null) are kept as gaps. */
export function smoothed(values, weight) {
  if (!(weight > 0)) return values.slice();
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (typeof v !== "number" || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    count += 1;
    return last / (1 - weight ** count);
  });
}

// The metric keys drawn on a chart, in the order the architectures declare them, held-out ones first.
function chartKeys(chart) {
  const reported = new Set(data.runs.flatMap((run) => Object.keys(run.values)));
  const declared = Object.keys(data.metrics || {});
  const keys = [...declared.filter((k) => reported.has(k)), ...[...reported].filter((k) => !declared.includes(k))];
  const onChart = keys.filter((k) => (meaning(k)?.chart || "other") === chart.key);
  const rank = (k) => (meaning(k)?.reference ? 9 : SPLIT_ORDER[meaning(k)?.split] ?? 5);
  return onChart.map((k, i) => [k, i]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([k]) => k);
}

function traces(chart, keys) {
  const out = [];
  for (const run of data.runs) {
    const xs = run.points?.[state.x] || [];
    keys.forEach((key, index) => {
      const values = run.values?.[key];
      if (!values) return;
      const keep = values.map((v, i) => (typeof v === "number" && typeof xs[i] === "number" ? i : -1)).filter((i) => i >= 0);
      if (!keep.length) return;
      const x = keep.map((i) => xs[i]);
      const y = keep.map((i) => values[i]);
      const name = plotlyText(`#${run.id} ${label(key)}`);
      const line = { color: colors.get(run.id), dash: DASHES[index % DASHES.length], width: meaning(key)?.reference ? 1.5 : 2.2 };
      const held = meaning(key)?.split === "test" || meaning(key)?.split === "validation";
      const mode = held && x.length < 60 ? "lines+markers" : "lines";
      if (state.smooth > 0) {
        out.push({ type: "scatter", mode: "lines", name, x, y, opacity: 0.25, line: { ...line, width: 1.2 }, hoverinfo: "skip", meta: { raw: true, run: run.id, key } });
      }
      out.push({
        type: "scatter", mode, name, x, y: smoothed(y, state.smooth), line, marker: { size: 5 },
        hovertemplate: "%{fullData.name}: %{y:.4g}<extra></extra>", meta: { raw: false, run: run.id, key },
      });
    });
  }
  return out;
}

function layout(chart) {
  const yaxis = { ...AXIS, title: { text: chart.axis } };
  if (chart.percent) yaxis.tickformat = ".0%";
  if (chart.log) yaxis.type = "log";
  return { ...BASE_LAYOUT, uirevision: `${chart.key}-${state.x}`, xaxis: { ...AXIS, title: { text: X_TITLES[state.x] } }, yaxis };
}

// Each chart's key: a short line in each style, and the metric it draws.
function drawKey(chart, keys) {
  const list = document.querySelector(`[data-key-for="${CSS.escape(chart.key)}"]`);
  if (!list) return;
  const ns = "http://www.w3.org/2000/svg";
  const dashArray = { solid: "", dot: "2 3", dash: "6 4", dashdot: "6 3 2 3", longdash: "10 4", longdashdot: "10 3 2 3" };
  list.replaceChildren(...keys.map((key, index) => {
    const li = document.createElement("li");
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "10");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "line");
    Object.entries({ x1: 1, y1: 5, x2: 27, y2: 5, stroke: "#334155", "stroke-width": 2.2 }).forEach(([k, v]) => path.setAttribute(k, v));
    const dash = dashArray[DASHES[index % DASHES.length]];
    if (dash) path.setAttribute("stroke-dasharray", dash);
    svg.append(path);
    li.append(svg, ` ${label(key)}`);
    return li;
  }));
}

function drawMissing(chart, keys) {
  const note = document.querySelector(`[data-chart="${CSS.escape(chart.key)}"] [data-missing]`);
  if (!note) return;
  const without = data.runs.filter((run) => !keys.some((k) => run.values?.[k]?.some((v) => typeof v === "number")));
  note.hidden = !without.length;
  note.textContent = without.length
    ? `No curve here from ${without.map((r) => `run #${r.id}`).join(", ")}: ${without.length === 1 ? "it does" : "they do"} not measure this${without.some((r) => r.active) ? " (yet)" : ""}.`
    : "";
}

function draw() {
  if (!data || !Plotly()) return;
  for (const chart of data.charts || []) {
    const el = document.getElementById(`compare-${chart.key}-chart`);
    if (!el) continue;
    const keys = chartKeys(chart);
    const found = traces(chart, keys);
    drawKey(chart, keys);
    drawMissing(chart, keys);
    el.dataset.runs = String(new Set(found.map((t) => t.meta.run)).size);
    if (!found.length) continue;
    el.classList.add("has-plot");
    Plotly().react(el, found, layout(chart), CONFIG);
  }
  document.body.dataset.compareX = state.x;
  document.body.dataset.compareSmooth = String(state.smooth);
}

let frame = 0;
function scheduleDraw() {
  cancelAnimationFrame(frame);
  frame = requestAnimationFrame(draw);
}

// ---------------------------------------------------------------- the view in the address

function syncAddress() {
  const url = new URL(window.location.href);
  url.searchParams.set("x", state.x);
  if (state.smooth > 0) url.searchParams.set("smooth", String(state.smooth));
  else url.searchParams.delete("smooth");
  const showAll = document.getElementById("show-all");
  if (showAll?.checked) url.searchParams.set("settings", "all");
  else url.searchParams.delete("settings");
  if (state.x === "step") url.searchParams.delete("x");
  const pick = document.getElementById("view-pick");
  if (pick && pick.selectedIndex > 0) url.searchParams.set("view", pick.value);
  else url.searchParams.delete("view");
  window.history.replaceState(window.history.state, "", url);
  const permalink = document.getElementById("permalink");
  if (permalink) {
    const link = new URL(permalink.href);
    for (const key of ["x", "smooth", "settings", "view"]) {
      if (url.searchParams.has(key)) link.searchParams.set(key, url.searchParams.get(key));
      else link.searchParams.delete(key);
    }
    permalink.href = link.toString();
  }
  for (const input of document.querySelectorAll("input[data-view=x]")) input.value = state.x;
  for (const input of document.querySelectorAll("input[data-view=smooth]")) input.value = String(state.smooth);
}

function wireControls() {
  for (const radio of document.querySelectorAll("input[name=x][type=radio]")) {
    radio.addEventListener("change", () => {
      if (!radio.checked) return;
      state.x = radio.value;
      syncAddress();
      scheduleDraw();
    });
  }
  const slider = document.getElementById("smooth");
  const output = document.getElementById("smooth-value");
  slider?.addEventListener("input", () => {
    state.smooth = Math.min(Math.max(Number(slider.value) || 0, 0), 0.99);
    if (output) output.textContent = state.smooth.toFixed(2);
    syncAddress();
    scheduleDraw();
  });
  wireSettingsToggle();
}

function wireSettingsToggle() {
  const toggle = document.getElementById("show-all");
  const table = document.getElementById("settings-table");
  toggle?.addEventListener("change", () => {
    table?.classList.toggle("only-differences", !toggle.checked);
    syncAddress();
  });
}

// ---------------------------------------------------------------- runs still training

let statuses = (data?.runs || []).map((r) => r.status).join();

async function refresh() {
  try {
    const response = await fetch(data.api, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const fresh = await response.json();
    const moved = progressOf(fresh.runs) !== progressOf(data.runs);
    data.runs = fresh.runs.map((run) => ({ ...run, color: colors.get(run.id) }));
    // the views side by side follow too (compare-views.js)
    if (moved) document.dispatchEvent(new CustomEvent("compare:progress"));
    data.metrics = { ...fresh.metrics, ...data.metrics };
    scheduleDraw();
    const now = data.runs.map((r) => r.status).join();
    if (now !== statuses) {
      statuses = now;
      await refreshPage(); // a run finished: its results join the table
    }
  } catch {
    // the next round tries again
  } finally {
    if (data.runs.some((r) => r.active)) setTimeout(refresh, REFRESH_MS);
  }
}

// How far the runs are: their statuses and their stored points.
function progressOf(runs) {
  return runs.map((r) => `${r.id}:${r.status}:${r.points?.step?.length ?? 0}`).join();
}

// The runs' list and the table of settings, as the server draws them now. A new chart (a metric measured
// for the first time) needs the whole page: it is reloaded once every run has finished.
async function refreshPage() {
  const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = readCharts(page);
  if (fresh.some((key) => !(data.charts || []).some((c) => c.key === key))) {
    window.location.reload();
    return;
  }
  for (const id of ["compared-runs", "comparison-settings"]) {
    const now = page.getElementById(id);
    const shown = document.getElementById(id);
    if (now && shown) shown.replaceWith(document.importNode(now, true));
  }
  const showAll = document.getElementById("show-all");
  if (showAll) {
    showAll.checked = new URL(window.location.href).searchParams.get("settings") === "all";
    document.getElementById("settings-table")?.classList.toggle("only-differences", !showAll.checked);
  }
  wireSettingsToggle();
}

function readCharts(page) {
  return [...page.querySelectorAll("[data-chart]")].map((el) => el.dataset.chart);
}

if (data) {
  wireControls();
  draw(); // plotly.js, a deferred script before this module, has run
  startViews(data.views_api, syncAddress);
  if (data.runs.some((r) => r.active)) setTimeout(refresh, REFRESH_MS);
} else {
  wireSettingsToggle();
}
