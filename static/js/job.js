// The live run page: one WebSocket, a stream of numbered events, Plotly charts.
// The stored log is the truth: the server sends a snapshot on connect, then live events;
// a gap in `seq` is asked for again, and a dropped socket reconnects with `?after=lastSeq`.

import { filteredFigure } from "./box-filter.js";
import { AXIS, CHART_LOOK } from "./chart-style.js";

const FINISHED = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED"]);
const STATUS_LABELS = {
  QUEUED: "Queued", RUNNING: "Running", SUCCEEDED: "Succeeded",
  FAILED: "Failed", CANCELLED: "Cancelled", INTERRUPTED: "Interrupted",
};
const MAX_POINTS = 50000; // per trace; older points scroll off beyond this
const MAX_LOG_LINES = 1000;
const BACKOFF_MAX_MS = 10000;
const HTTP_FALLBACK_AFTER_FAILURES = 2; // finished runs: read the log over HTTP instead

const readJson = (id, fallback) => {
  const el = document.getElementById(id);
  if (!el) return fallback;
  try { return JSON.parse(el.textContent) ?? fallback; } catch { return fallback; }
};

const job = readJson("job-data", {});
// What each reported number means (label, format, which chart, which split, a baseline or not),
// declared by the run's architecture; one chart per axis it declares.
const meta = readJson("metric-meta", { metrics: {}, charts: [] });
const meaning = (key) => meta.metrics?.[key] || null;
const storedViews = readJson("stored-views", {});
const $ = (id) => document.getElementById(id);
const ui = {
  pill: $("status-pill"),
  progress: $("run-progress"),
  progressText: $("progress-text"),
  connection: $("connection-status"),
  errorBox: $("error-box"),
  errorTitle: $("error-title"),
  errorMessage: $("error-message"),
  cancelForm: $("cancel-form"),
  log: $("run-log"),
  logEmpty: $("log-empty"),
  results: $("results-card"),
  finalMetrics: $("final-metrics"),
};

let status = job.status || "QUEUED";
let lastSeq = 0;
let knownLastSeq = 0; // the job's last seq as the server last reported it
let socket = null;
let reconnectDelay = 1000;
let reconnectTimer = null;
let failures = 0;
let resumeAskedAt = -1;
let lastProgress = null;
const lastValues = {}; // latest value of every metric key, for the results table fallback

const numberFormat = new Intl.NumberFormat("en-US");
const Plotly = () => window.Plotly; // loaded by a deferred classic script before this module runs

// ---------------------------------------------------------------- small helpers

function exposeForTests() {
  document.body.dataset.lastSeq = String(lastSeq);
  document.body.dataset.jobStatus = status;
}

function setConnection(text) {
  ui.connection.textContent = text;
}

function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function formatValue(key, value) {
  if (typeof value !== "number") return String(value);
  const m = meaning(key);
  const format = m?.format || "number";
  if (format === "percent") return `${(value * 100).toFixed(1)} %`;
  if (format === "rate" || format === "integer") return numberFormat.format(Math.round(value));
  if (format === "seconds") return value < 10 ? `${value.toFixed(1)} s` : formatDuration(value);
  const text = Number.isInteger(value) ? numberFormat.format(value) : value.toPrecision(4).replace(/\.?0+$/, "");
  return m?.unit ? `${text} ${m.unit}` : text;
}

function prettyKey(key) {
  return meaning(key)?.label || key.replace(/_/g, " ");
}

// ---------------------------------------------------------------- metric charts

const BASE_LAYOUT = {
  ...CHART_LOOK,
  margin: { l: 56, r: 24, t: 12, b: 48 },
  legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
  hovermode: "x unified",
  colorway: ["#4f46e5", "#ea580c", "#16a34a", "#db2777", "#0891b2", "#ca8a04"],
};
const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
const COLORS = { train: "#4f46e5", test: "#ea580c", validation: "#0891b2", reference: "#64748b" };
// Series that are not measured on a split (a GAN's two losses) or share a split on one chart each get
// a colour of their own, in the order they first arrive.
const EXTRA_COLORS = ["#db2777", "#0f766e", "#ca8a04", "#7c3aed", "#65a30d", "#be123c", "#16a34a"];

function seriesColor(chart, key) {
  if (meaning(key)?.reference) return COLORS.reference;
  // the first series of each split keeps that split's colour on every chart (train, test, validation)
  const firstOfSplit = (k) => {
    const split = meaning(k)?.split;
    return Boolean(split) && chart.order.find((o) => !meaning(o)?.reference && meaning(o)?.split === split) === k;
  };
  if (firstOfSplit(key)) return COLORS[meaning(key).split];
  const extras = chart.order.filter((k) => !meaning(k)?.reference && !firstOfSplit(k));
  return EXTRA_COLORS[Math.max(0, extras.indexOf(key)) % EXTRA_COLORS.length];
}

function makeChart(spec) {
  const el = document.getElementById(`${spec.key}-chart`);
  return { el, spec, kind: spec.key, series: new Map(), order: [], traceOf: new Map(), drawn: new Map(), plotted: false, dirty: false, layoutKey: "" };
}
const charts = new Map((meta.charts || []).map((spec) => [spec.key, makeChart(spec)]));
const firstChart = charts.values().next().value || null;
const chartFor = (key) => charts.get(meaning(key)?.chart) || charts.get("other");

function traceFor(chart, key) {
  const m = meaning(key);
  const heldOut = m?.split === "test" || m?.split === "validation";
  const s = chart.series.get(key);
  return {
    type: "scatter",
    name: prettyKey(key),
    x: s.x.slice(),
    y: s.y.slice(),
    mode: heldOut ? "lines+markers" : "lines",
    line: {
      width: heldOut ? 2.5 : 1.5,
      dash: m?.reference ? "dot" : "solid", // a baseline to beat is a reference line, not a result
      color: seriesColor(chart, key),
    },
    marker: { size: 6 },
    hovertemplate: "%{y:.4g}",
  };
}

function chartLayout(chart) {
  const spec = chart.spec;
  const yaxis = { ...AXIS, title: { text: spec.axis } };
  if (spec.percent) yaxis.tickformat = ".0%";
  if (spec.log) yaxis.type = "log";
  const shapes = cursorStep == null ? [] : cursorShape(cursorStep);
  // the legend sits above the plot, inside the figure's own top margin (never over the caption or the curves)
  const margin = { ...BASE_LAYOUT.margin, t: 36 };
  return { ...BASE_LAYOUT, margin, uirevision: chart.kind, xaxis: { ...AXIS, title: { text: "training step" } }, yaxis, shapes };
}

function addMetric(event) {
  const values = event.values || {};
  const x = event.step ?? event.seq;
  if (typeof event.step === "number") {
    lastStep = event.step;
    metricRows.push({ step: event.step, values });
  }
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== "number" || !Number.isFinite(value)) continue;
    lastValues[key] = value;
    const chart = chartFor(key);
    if (!chart || !chart.el) continue;
    chart.el.closest(".chart-card").hidden = false;
    let s = chart.series.get(key);
    if (!s) {
      s = { x: [], y: [] };
      chart.series.set(key, s);
      chart.order.push(key);
    }
    s.x.push(x);
    s.y.push(value);
    chart.dirty = true;
  }
}

// A resumed run goes on from its checkpoint: the points its lost attempt drew past that
// step are redrawn by the new attempt, so they are dropped rather than drawn twice.
function rewindCharts(step) {
  while (metricRows.length && metricRows[metricRows.length - 1].step > step) metricRows.pop();
  for (const chart of charts.values()) {
    let dropped = false;
    for (const s of chart.series.values()) {
      let keep = s.x.length;
      while (keep > 0 && s.x[keep - 1] > step) keep -= 1;
      if (keep < s.x.length) {
        s.x.length = keep;
        s.y.length = keep;
        dropped = true;
      }
    }
    if (dropped && chart.plotted) {
      chart.plotted = false; // redrawn whole on the next frame
      chart.traceOf.clear();
      chart.drawn.clear();
    }
    chart.dirty = chart.dirty || dropped;
  }
}

function drawChart(chart) {
  const P = Plotly();
  if (!chart.dirty || !P || !chart.el) return;
  chart.dirty = false;
  if (!chart.plotted) {
    const traces = chart.order.map((key, i) => {
      chart.traceOf.set(key, i);
      chart.drawn.set(key, chart.series.get(key).x.length);
      return traceFor(chart, key);
    });
    const layout = chartLayout(chart);
    chart.layoutKey = JSON.stringify(layout);
    P.newPlot(chart.el, traces, layout, CONFIG);
    chart.plotted = true;
    chart.cursorDrawn = cursorStep;
    chart.el.dataset.cursorStep = cursorStep == null ? "" : String(cursorStep);
    chart.el.classList.add("has-plot");
  } else {
    const fresh = chart.order.filter((key) => !chart.traceOf.has(key));
    if (fresh.length) {
      fresh.forEach((key) => {
        chart.traceOf.set(key, chart.traceOf.size);
        chart.drawn.set(key, chart.series.get(key).x.length);
      });
      P.addTraces(chart.el, fresh.map((key) => traceFor(chart, key)));

    }
    const update = { x: [], y: [] };
    const indices = [];
    for (const [key, index] of chart.traceOf) {
      const s = chart.series.get(key);
      const from = chart.drawn.get(key);
      if (s.x.length > from) {
        update.x.push(s.x.slice(from));
        update.y.push(s.y.slice(from));
        indices.push(index);
        chart.drawn.set(key, s.x.length);
      }
    }
    if (indices.length) P.extendTraces(chart.el, update, indices, MAX_POINTS);
  }
  if (chart === firstChart) {
    let points = 0;
    for (const key of chart.order) points += Math.min(chart.series.get(key).x.length, MAX_POINTS);
    chart.el.dataset.points = String(points);
  }
}

// ---------------------------------------------------------------- live views and their frames
// Every drawing of a view is a frame with its step and epoch: whole the first time, then a patch on
// the view's last whole figure (models_lib/training/frames.py). The timeline below replays them.

const viewPanels = new Map();
document.querySelectorAll(".view-panel[data-view]").forEach((panel) => {
  const chart = panel.querySelector(".view-chart");
  chart.dataset.draws = "0";
  viewPanels.set(panel.dataset.view, { panel, chart, hasFigure: false, shown: null });
});
const pendingViews = new Map(); // view key -> the figure to draw next
const frames = new Map(); // view key -> [{step, epoch, figure | (base, patch)}], in step order
const bases = new Map(); // view key -> its last whole figure
let lastStep = 0; // the step of the latest metric or progress event (frames from before frames had steps)

function applyPatch(base, patch) {
  const data = (base.data || []).map((trace) => ({ ...trace }));
  for (const [index, changed] of Object.entries(patch.data || {})) {
    const trace = data[Number(index)];
    if (!trace) continue;
    for (const [key, value] of Object.entries(changed)) {
      if (value === null) delete trace[key];
      else trace[key] = value;
    }
  }
  const layout = { ...(base.layout || {}) };
  for (const [key, value] of Object.entries(patch.layout || {})) {
    if (value === null) delete layout[key];
    else layout[key] = value;
  }
  return { ...base, data, layout };
}

function frameFigure(frame) {
  if (!frame.figure) frame.figure = applyPatch(frame.base, frame.patch || {});
  return frame.figure;
}

function addFrame(event) {
  let frame;
  if (event.figure && Array.isArray(event.figure.data)) {
    bases.set(event.view, event.figure);
    frame = { figure: event.figure };
  } else if (event.patch && bases.has(event.view)) {
    frame = { base: bases.get(event.view), patch: event.patch, figure: null };
  } else {
    return; // a patch whose base this page never got, or an old stub
  }
  frame.step = typeof event.step === "number" ? event.step : lastStep;
  frame.epoch = typeof event.epoch === "number" ? event.epoch : lastProgress?.epoch ?? null;
  let list = frames.get(event.view);
  if (!list) frames.set(event.view, (list = []));
  while (list.length && list[list.length - 1].step >= frame.step) list.pop(); // a redrawn step replaces the old one
  list.push(frame);
  timeline.addMoment(frame.step, frame.epoch);
}

function queueView(key, figure) {
  if (!figure || !Array.isArray(figure.data)) return;
  pendingViews.set(key, figure);
  scheduleDraw();
}

function drawViews() {
  const P = Plotly();
  if (!P) return;
  for (const [key, figure] of pendingViews) {
    const view = viewPanels.get(key);
    if (!view) continue; // a view this page has no panel for
    if (view.shown === figure && !view.refilter) continue;
    view.refilter = false;
    const redraw = () => {
      view.refilter = true;
      queueView(key, view.shown);
    };
    const drawn = filteredFigure(figure, view.panel, redraw); // a view with sliders of its own
    const layout = { ...BASE_LAYOUT, hovermode: "closest", ...(drawn.layout || {}), uirevision: key };
    P.react(view.chart, drawn.data, layout, CONFIG);
    view.shown = figure;
    view.hasFigure = true;
    view.panel.hidden = false;
    view.chart.classList.add("has-plot");
    view.chart.dataset.draws = String(Number(view.chart.dataset.draws) + 1);
  }
  pendingViews.clear();
}

// The latest frame of each view at or before `step` (its first one when it has none that early).
function showFramesAt(step) {
  for (const [key, list] of frames) {
    let lo = 0;
    let hi = list.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].step <= step) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (list.length) queueView(key, frameFigure(list[found]));
  }
}

function rewindFrames(step) {
  for (const list of frames.values()) {
    while (list.length && list[list.length - 1].step > step) list.pop();
  }
  timeline.rewind(step);
}

function hideEmptyViews() {
  // A finished run hides the charts nothing was drawn on (a measure its data did not give)...
  for (const chart of charts.values()) {
    if (!chart.order.length && chart !== firstChart && chart.el) chart.el.closest(".chart-card").hidden = true;
  }
  // ...and the views it never drew (a decision boundary on a table, say).
  for (const view of viewPanels.values()) {
    if (!view.hasFigure && !pendingViews.has(view.panel.dataset.view)) view.panel.hidden = true;
  }
}

// ---------------------------------------------------------------- the timeline
// A slider over the moments (steps) that have frames, play/pause at a few speeds, and a line on
// every metric chart at the moment shown. While the run trains the slider follows the live edge,
// until someone moves it; "Latest" goes back to following.

const FRAMES_PER_SECOND = 6; // at 1x: 60 epochs replay in 10 s
const AUTOPLAY_FRESH_S = 300; // a run that finished this recently, before the page opened, replays itself once
const REPLAY_MAX_S = 15; // an automatic replay takes at most this long

const timeline = (() => {
  const ui = {
    card: $("timeline"),
    slider: $("timeline-slider"),
    play: $("timeline-play"),
    playText: document.querySelector(".timeline-play-text"),
    icon: document.querySelector(".timeline-icon"),
    speed: $("timeline-speed"),
    latest: $("timeline-latest"),
    label: $("timeline-label"),
    hint: document.querySelector(".timeline-hint"),
  };
  const moments = []; // [{step, epoch}], ascending step
  let index = -1; // the moment shown
  let following = true; // shows the newest moment as frames arrive
  let timer = null;
  let fps = FRAMES_PER_SECOND;
  let touched = false; // someone used the controls: no automatic replay then

  function addMoment(step, epoch) {
    const last = moments[moments.length - 1];
    if (last && last.step === step) {
      if (epoch != null) last.epoch = epoch;
      return;
    }
    if (!last || step > last.step) moments.push({ step, epoch });
    else {
      const at = moments.findIndex((m) => m.step >= step);
      if (moments[at].step === step) return;
      moments.splice(at, 0, { step, epoch });
      if (at <= index) index += 1;
    }
    changed();
  }

  function rewind(step) {
    while (moments.length && moments[moments.length - 1].step > step) moments.pop();
    if (index >= moments.length) index = moments.length - 1;
    changed();
  }

  let changePending = false;
  function changed() {
    if (changePending) return;
    changePending = true;
    queueMicrotask(() => {
      changePending = false;
      if (!ui.card) return;
      ui.slider.max = String(Math.max(0, moments.length - 1));
      if (moments.length >= 2) ui.card.hidden = false;
      if (following && !timer) show(moments.length - 1);
      else render();
    });
  }

  function show(i) {
    if (!moments.length) return;
    index = Math.max(0, Math.min(i, moments.length - 1));
    showFramesAt(moments[index].step);
    render();
  }

  function epochsTotal() {
    return lastProgress?.epochs || job.config?.epochs || null;
  }

  function render() {
    if (!ui.card || index < 0 || !moments.length) return;
    const m = moments[index];
    ui.slider.value = String(index);
    const total = epochsTotal();
    let text;
    if (m.step === 0) text = "Before training: the network as it was initialised (step 0).";
    else {
      const epoch = m.epoch != null ? `Epoch ${numberFormat.format(m.epoch)}${total ? ` of ${numberFormat.format(total)}` : ""}` : "";
      text = [epoch, `step ${numberFormat.format(m.step)}`].filter(Boolean).join(" · ");
      const readout = metricsAt(m.step);
      if (readout) text += ` — ${readout}`;
    }
    const atEnd = index === moments.length - 1;
    if (atEnd && following && !FINISHED.has(status)) text += " (live)";
    ui.slider.setAttribute("aria-valuetext", text);
    ui.label.textContent = text;
    ui.latest.hidden = atEnd && following;
    document.body.dataset.timelineStep = String(m.step);
    document.body.dataset.timelineIndex = String(index);
    document.body.dataset.timelineMoments = String(moments.length);
    document.body.dataset.timelineFollowing = String(following);
    // the moment on the metric charts: none while a live run is followed (the curves end there)
    setCursor(atEnd && following && !FINISHED.has(status) ? null : m.step);
  }

  function setPlaying(on) {
    if (!ui.card) return;
    clearInterval(timer);
    timer = null;
    ui.play.setAttribute("aria-pressed", String(on));
    ui.playText.textContent = on ? "Pause" : "Play";
    ui.icon.textContent = on ? "❚❚" : "▶";
    document.body.dataset.timelinePlaying = String(on);
    if (!on) return;
    timer = setInterval(() => {
      if (index >= moments.length - 1) {
        following = true; // at the end: a live run goes on following its edge
        if (FINISHED.has(status)) setPlaying(false);
        render();
        return;
      }
      show(index + 1);
    }, 1000 / (fps * Number(ui.speed.value || 1)));
  }

  function play({ fromStart = false, pace = FRAMES_PER_SECOND } = {}) {
    if (moments.length < 2) return;
    fps = pace;
    following = false;
    if (fromStart || index >= moments.length - 1) show(0);
    setPlaying(true);
  }

  if (ui.card) {
    ui.slider.addEventListener("input", () => {
      touched = true;
      setPlaying(false);
      const i = Number(ui.slider.value);
      following = i === moments.length - 1;
      show(i);
    });
    ui.play.addEventListener("click", () => {
      touched = true;
      if (timer) setPlaying(false);
      else play();
    });
    ui.speed.addEventListener("change", () => {
      touched = true;
      if (timer) setPlaying(true); // the new speed at once
    });
    ui.latest.addEventListener("click", () => {
      touched = true;
      setPlaying(false);
      following = true;
      show(moments.length - 1);
    });
  }

  // A run that was over before the page opened plays itself back once, at a pace a person can follow.
  function replayIfMissed(finishedBeforeOpen) {
    if (!ui.card || touched || !finishedBeforeOpen || moments.length < 3) return;
    const finished = Date.parse(job.finished_at || "");
    if (Number.isFinite(finished) && Date.now() - finished > AUTOPLAY_FRESH_S * 1000) return;
    if (window.matchMedia?.("(prefers-reduced-motion: reduce)").matches) return;
    if (ui.hint) ui.hint.textContent = "This run finished before the page opened, so it replays once. Drag the slider to look at any epoch.";
    play({ fromStart: true, pace: Math.max(FRAMES_PER_SECOND, moments.length / REPLAY_MAX_S) });
  }

  return { addMoment, rewind, render, replayIfMissed, get playing() { return Boolean(timer); } };
})();

// ---------------------------------------------------------------- the moment on the metric charts

const metricRows = []; // [{step, values}] as they arrive: the readout under the slider
let cursorStep = null;

function metricsAt(step) {
  let row = null;
  for (let i = metricRows.length - 1; i >= 0; i -= 1) {
    if (metricRows[i].step <= step && Object.keys(metricRows[i].values).some((k) => meaning(k)?.split === "test")) {
      row = metricRows[i];
      break;
    }
  }
  if (!row) return "";
  const headline = Object.keys(row.values).filter((k) => meaning(k)?.split === "test" && !meaning(k)?.reference);
  return headline
    .slice(0, 2)
    .map((k) => `${prettyKey(k)} ${formatValue(k, row.values[k])}`)
    .join(", ");
}

function cursorShape(step) {
  return [{ type: "line", xref: "x", yref: "paper", x0: step, x1: step, y0: 0, y1: 1, line: { color: "#0f172a", width: 1.5, dash: "dot" } }];
}

function setCursor(step) {
  cursorStep = step;
  const P = Plotly();
  for (const chart of charts.values()) {
    if (!chart.el || !P || !chart.plotted || chart.cursorDrawn === step) continue;
    P.relayout(chart.el, { shapes: step == null ? [] : cursorShape(step) });
    chart.cursorDrawn = step;
    chart.el.dataset.cursorStep = step == null ? "" : String(step);
  }
}

// ---------------------------------------------------------------- log

const pendingLog = [];

function timeOf(t) {
  const d = typeof t === "number" ? new Date(t * 1000) : new Date();
  return d.toLocaleTimeString("en-GB", { hour12: false });
}

function drawLog() {
  if (!pendingLog.length || !ui.log) return;
  const atBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 24;
  const fragment = document.createDocumentFragment();
  for (const event of pendingLog.splice(0)) {
    const li = document.createElement("li");
    const level = String(event.level || "info").toLowerCase();
    li.className = `lvl-${level}`;
    const time = document.createElement("time");
    if (typeof event.t === "number") time.dateTime = new Date(event.t * 1000).toISOString();
    time.textContent = timeOf(event.t);
    const text = document.createElement("span");
    text.textContent = level === "info" ? event.message : `${level}: ${event.message}`;
    li.append(time, text);
    fragment.append(li);
  }
  ui.log.append(fragment);
  while (ui.log.childElementCount > MAX_LOG_LINES) ui.log.firstElementChild.remove();
  if (ui.logEmpty) ui.logEmpty.hidden = true;
  if (atBottom) ui.log.scrollTop = ui.log.scrollHeight;
}

// ---------------------------------------------------------------- progress and status

const SUMMARIES = { SUCCEEDED: "Finished.", FAILED: "Stopped with an error.", CANCELLED: "Cancelled.", INTERRUPTED: "Interrupted." };

function showProgress(p) {
  lastProgress = p;
  if (typeof p.step === "number") lastStep = p.step;
  if (typeof p.fraction === "number" && status !== "SUCCEEDED") ui.progress.value = Math.min(1, Math.max(0, p.fraction));
  renderProgressText();
}

function renderProgressText() {
  const p = lastProgress || {};
  const parts = [];
  if (p.epochs) parts.push(`Epoch ${numberFormat.format(p.epoch ?? 0)} / ${numberFormat.format(p.epochs)}`);
  if (p.total_steps) parts.push(`step ${numberFormat.format(p.step ?? 0)} / ${numberFormat.format(p.total_steps)}`);
  else if (p.step != null) parts.push(`step ${numberFormat.format(p.step)}`);
  if (p.samples_per_s) parts.push(`${numberFormat.format(Math.round(p.samples_per_s))} samples/s`);
  if (!FINISHED.has(status) && typeof p.eta_s === "number") parts.push(`about ${formatDuration(p.eta_s)} left`);
  else if (FINISHED.has(status) && typeof p.elapsed_s === "number") parts.push(`took ${formatDuration(p.elapsed_s)}`);
  const detail = parts.join(" · ");
  if (FINISHED.has(status)) ui.progressText.textContent = [SUMMARIES[status], detail].filter(Boolean).join(" ");
  else if (detail) ui.progressText.textContent = detail;
  else ui.progressText.textContent = status === "QUEUED" ? queueText(job.queue) : "Training has started…";
}

function ordinal(n) {
  const tail = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th");
  return `${numberFormat.format(n)}${tail}`;
}

function queueText(queue) {
  if (!queue || typeof queue.position !== "number") return "Waiting for a free worker…";
  const where = queue.position === 1 ? "next in line" : `${ordinal(queue.position)} in line`;
  const wait = queue.eta_s > 0 ? `, about ${formatDuration(queue.eta_s)} to wait` : "";
  return `Waiting for a free worker: ${where}${wait}. Runs are taken in turns, one per visitor.`;
}

// While a run waits, its place in the queue is asked for every few seconds.
const QUEUE_POLL_MS = 5000;
function pollQueue() {
  if (status !== "QUEUED") return;
  refreshJob().then(() => {
    if (status === "QUEUED" && !lastProgress) renderProgressText();
    setTimeout(pollQueue, QUEUE_POLL_MS);
  });
}

function showFinalMetrics(metrics) {
  if (!ui.finalMetrics || !metrics || !Object.keys(metrics).length) return;
  ui.finalMetrics.replaceChildren(
    ...Object.entries(metrics).map(([key, value]) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = prettyKey(key);
      const td = document.createElement("td");
      td.className = "num";
      td.textContent = formatValue(key, value);
      tr.append(th, td);
      return tr;
    }),
  );
  ui.results.hidden = false;
}

function setStatus(next, message) {
  if (!next) return;
  const changed = next !== ui.pill.dataset.status;
  ui.pill.dataset.status = next;
  status = next;
  ui.pill.className = `pill pill-${next.toLowerCase()}`;
  ui.pill.textContent = STATUS_LABELS[next] || next;
  const finished = FINISHED.has(next);
  if (ui.cancelForm) ui.cancelForm.hidden = finished;
  if (next === "FAILED" || next === "INTERRUPTED") {
    ui.errorTitle.textContent = next === "FAILED" ? "This run failed." : "This run was interrupted.";
    if (message) ui.errorMessage.textContent = message;
    ui.errorBox.hidden = false;
  } else {
    ui.errorBox.hidden = true;
  }
  if (next === "SUCCEEDED") ui.progress.value = 1;
  if (changed || finished) renderProgressText();
  // other panels of the page (Try it) follow the run's status
  if (changed) document.dispatchEvent(new CustomEvent("job:status", { detail: { status: next } }));
  if (finished && ui.connection.textContent === "Live.") setConnection("");
}

// ---------------------------------------------------------------- events

function applyEvent(event) {
  switch (event.kind) {
    case "metric": addMetric(event); break;
    case "progress": showProgress(event); break;
    case "view": addFrame(event); break;
    case "status":
      if (typeof event.resume_step === "number") {
        rewindCharts(event.resume_step);
        rewindFrames(event.resume_step);
      }
      setStatus(event.status, event.message);
      break;
    case "log": pendingLog.push(event); break;
    default: break; // an event kind this page does not know yet
  }
}

function handleEvents(events, { trustGaps = false } = {}) {
  for (const event of events || []) {
    if (typeof event.seq !== "number" || event.seq <= lastSeq) continue;
    if (!trustGaps && event.seq > lastSeq + 1) {
      askResume();
      break; // the replay will bring these again, in order
    }
    applyEvent(event);
    lastSeq = event.seq;
  }
  knownLastSeq = Math.max(knownLastSeq, lastSeq);
  exposeForTests();
  scheduleDraw();
}

// A live send can be dropped (a full channel on a busy server); a gap shows it only when a later
// event comes. A run that trains sends progress about every second, so a quiet socket while the run
// is not over (or its last events are missing) asks the server for anything past lastSeq.
const QUIET_MS = 5000;
let lastMessageAt = Date.now();
setInterval(() => {
  if (status === "QUEUED" || finishedAndComplete() || Date.now() - lastMessageAt < QUIET_MS) return;
  lastMessageAt = Date.now();
  resumeAskedAt = -1;
  askResume();
}, QUIET_MS / 5);

function askResume() {
  if (resumeAskedAt === lastSeq || !socket || socket.readyState !== WebSocket.OPEN) return;
  resumeAskedAt = lastSeq;
  socket.send(JSON.stringify({ type: "resume", after: lastSeq }));
}

function applyJob(snapshotJob) {
  if (!snapshotJob) return;
  Object.assign(job, snapshotJob);
  if (typeof snapshotJob.last_seq === "number") knownLastSeq = Math.max(knownLastSeq, snapshotJob.last_seq);
  if (snapshotJob.progress && Object.keys(snapshotJob.progress).length && !lastProgress) showProgress(snapshotJob.progress);
  const message = snapshotJob.error_message || undefined;
  setStatus(snapshotJob.status, message);
  showFinalMetrics(snapshotJob.final_metrics);
}

let frameRequested = false;
function scheduleDraw() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    for (const chart of charts.values()) drawChart(chart);
    drawViews();
    drawLog();
    if (FINISHED.has(status) && lastSeq >= knownLastSeq) hideEmptyViews();
  });
}

// ---------------------------------------------------------------- socket

function finishedAndComplete() {
  return FINISHED.has(status) && lastSeq >= knownLastSeq;
}

function connect() {
  clearTimeout(reconnectTimer);
  if (!job.ws_url || !("WebSocket" in window)) return loadOverHttp();
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = new WebSocket(`${scheme}${location.host}${job.ws_url}?after=${lastSeq}`);
  socket = ws;
  resumeAskedAt = -1;

  ws.addEventListener("open", () => {
    if (!FINISHED.has(status)) setConnection("Live.");
  });

  ws.addEventListener("message", (message) => {
    lastMessageAt = Date.now();
    let data;
    try { data = JSON.parse(message.data); } catch { return; }
    if (data.type === "snapshot") {
      failures = 0;
      reconnectDelay = 1000;
      handleEvents(data.events, { trustGaps: true });
      if (typeof data.last_seq === "number" && data.last_seq > lastSeq) lastSeq = data.last_seq;
      applyJob(data.job);
      exposeForTests(); // the server goes on with any events past the snapshot's cap
    } else if (data.type === "events") {
      handleEvents(data.events);
    }
    if (finishedAndComplete()) {
      onFinished();
      ws.close(1000, "finished");
    }
  });

  ws.addEventListener("close", () => {
    if (socket !== ws) return;
    socket = null;
    if (finishedAndComplete()) return;
    failures += 1;
    if (FINISHED.has(status) && failures >= HTTP_FALLBACK_AFTER_FAILURES) {
      loadOverHttp();
      return;
    }
    const seconds = Math.round(reconnectDelay / 1000);
    setConnection(`Connection lost — reconnecting… (next try in ${seconds} s)`);
    reconnectTimer = setTimeout(connect, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, BACKOFF_MAX_MS);
  });
}

async function loadOverHttp() {
  // The stored log over the JSON API: a finished run still draws if WebSockets are blocked.
  setConnection("Loading the stored history…");
  try {
    for (let page = 0; page < 200; page += 1) {
      const response = await fetch(`/api/jobs/${job.id}/events?after=${lastSeq}&limit=5000`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      handleEvents(data.events, { trustGaps: true });
      if (!data.more || !data.events.length) break;
    }
    await refreshJob();
    setConnection(FINISHED.has(status) ? "" : "Live updates are unavailable; reload the page to see the latest state.");
  } catch {
    setConnection("Could not load this run's history. Reload the page to try again.");
  }
  if (FINISHED.has(status)) onFinished();
}

async function refreshJob() {
  try {
    const response = await fetch(`/api/jobs/${job.id}`, { credentials: "same-origin" });
    if (response.ok) applyJob(await response.json());
  } catch { /* the page keeps what it has */ }
}

let finishedOnce = false;
const pageOpenedAt = Date.now();
const openedFinished = FINISHED.has(job.status);
function onFinished() {
  if (finishedOnce) return;
  finishedOnce = true;
  setConnection("");
  // over before the page opened (or within a moment of it): nobody saw it learn, so it replays once
  scheduleDraw();
  requestAnimationFrame(() => timeline.replayIfMissed(openedFinished || Date.now() - pageOpenedAt < 4000));
  // The last status event may arrive before the final metrics are stored: ask once.
  if (status === "SUCCEEDED" && ui.results.hidden) {
    refreshJob().then(() => {
      if (ui.results.hidden) {
        const finalKeys = Object.fromEntries(Object.entries(lastValues).filter(([k]) => meaning(k)?.split === "test"));
        showFinalMetrics(finalKeys);
      }
    });
  }
  scheduleDraw();
}

// ---------------------------------------------------------------- cancel

function csrfToken(form) {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  return form.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}

if (ui.cancelForm) {
  ui.cancelForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const button = form.querySelector("button");
    button.disabled = true;
    button.textContent = "Cancelling…";
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(form) },
        body: new FormData(form),
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      setConnection("Cancel requested: the run stops at its next checkpoint.");
    } catch {
      form.submit(); // the plain POST still works
    }
  });
}

// ---------------------------------------------------------------- start

for (const [key, figure] of Object.entries(storedViews || {})) queueView(key, figure);
if (job.progress && Object.keys(job.progress).length) showProgress(job.progress);
setStatus(status, job.error_message || undefined);
if (FINISHED.has(status)) showFinalMetrics(job.final_metrics);
knownLastSeq = job.last_seq || 0;
if (status === "QUEUED") setTimeout(pollQueue, QUEUE_POLL_MS);
exposeForTests();
scheduleDraw();
connect();
