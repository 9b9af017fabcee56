// The backpropagation explainer: a 2-3-1 network stepped through phase by phase.
// The server (/api/backprop/*) does every computation and keeps nothing: the state travels with
// each request. This file draws the network in SVG and the two Plotly charts.

const SVG = "http://www.w3.org/2000/svg";
const Plotly = () => window.Plotly; // loaded by a deferred classic script before this module runs
const W = 720;
const H = 380;
const R = 27;
const POS = {
  x0: [90, 120], x1: [90, 260],
  h0: [340, 70], h1: [340, 190], h2: [340, 310],
  o0: [580, 190],
};
const NAMES = { x0: "x₁", x1: "x₂", h0: "h₁", h1: "h₂", h2: "h₃", o0: "p" };

const root = document.querySelector("[data-bp]");
const form = root?.querySelector("[data-bp-form]");
let state = null;
let phase = null;
let busy = false;

function el(name, attrs = {}, parent = null, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

const fmt = (v, d = 3) => (v == null ? "" : Number(v).toFixed(d).replace("-", "−"));

function csrfToken() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  return form.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}

function config() {
  const num = (name) => Number(form.elements[name].value);
  return {
    learning_rate: num("learning_rate"),
    momentum: num("momentum"),
    optimizer: form.elements.optimizer.value,
    batch: form.elements.batch.value,
    loss: form.elements.loss.value,
    seed: Math.trunc(num("seed")),
  };
}

const errorBox = () => root.querySelector("[data-bp-error]");

function showErrors(body) {
  const box = errorBox();
  const errs = (body && body.errors) || [];
  const names = { "config.learning_rate": "Learning rate", "config.momentum": "Momentum", "config.seed": "Seed",
    "config.optimizer": "Optimizer", "config.batch": "Batch", "config.loss": "Loss" };
  box.textContent = errs.length
    ? errs.map((e) => `${names[e.field] || e.field}: ${e.message}`).join(" ")
    : (body && typeof body.detail === "string" ? body.detail : "Something went wrong; press Reset.");
  box.hidden = false;
  for (const e of errs) {
    const input = form.elements[e.field.replace("config.", "")];
    if (input) input.setAttribute("aria-invalid", "true");
  }
}

async function post(path, body) {
  errorBox().hidden = true;
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const response = await fetch(`/api/backprop/${path}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) {
    showErrors(data);
    return null;
  }
  return data;
}

// ------------------------------------------------------------------ the network drawing

function edgeColour(grad, maxGrad) {
  if (grad == null) return { stroke: "#94a3b8", opacity: 0.9 };
  const size = maxGrad > 0 ? Math.min(1, Math.abs(grad) / maxGrad) : 0;
  return { stroke: grad >= 0 ? "#1d4ed8" : "#dc2626", opacity: 0.3 + 0.7 * size };
}

function layerOf(edgeId) {
  return edgeId.startsWith("W1") ? "W1" : "W2";
}

function drawNet(ph) {
  const wrap = root.querySelector("[data-bp-net]");
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "bp-svg", role: "img",
    "aria-labelledby": "bp-svg-title bp-svg-desc" });
  el("title", { id: "bp-svg-title" }, svg, "The 2-3-1 network");
  el("desc", { id: "bp-svg-desc" }, svg, ph.text);
  const active = ph.layer;
  const grads = ph.edges.map((e) => (e.grad == null ? 0 : Math.abs(e.grad)));
  const maxGrad = Math.max(...grads, 1e-12);

  // layer bands, the one this phase is about highlighted
  const bands = { W1: [90, 340], W2: [340, 580], loss: [580, 700] };
  for (const [name, [x0, x1]] of Object.entries(bands)) {
    const on = active === name || active === "all";
    el("rect", { x: x0 - 40, y: 8, width: x1 - x0 + 80 - (name === "loss" ? 60 : 0), height: H - 16, rx: 14,
      class: `bp-band${on ? " bp-band-active" : ""}`, "data-band": name }, svg);
  }

  const edges = el("g", { class: "bp-edges" }, svg);
  const labels = el("g", { class: "bp-edge-labels" }, svg);
  for (const e of ph.edges) {
    const [ax, ay] = POS[e.from];
    const [bx, by] = POS[e.to];
    const c = edgeColour(e.grad, maxGrad);
    const width = Math.min(12, 1 + 3 * Math.abs(e.weight));
    el("line", {
      x1: ax + R, y1: ay, x2: bx - R, y2: by, stroke: c.stroke, "stroke-opacity": c.opacity.toFixed(3),
      "stroke-width": width.toFixed(2), "stroke-linecap": "round",
      class: `bp-edge${active === layerOf(e.id) || active === "all" ? " bp-edge-active" : ""}`,
      "data-edge": e.id, "data-weight": e.weight, "data-grad": e.grad == null ? "" : e.grad,
    }, edges);
    const t = e.to === "o0" ? 0.45 : e.from === "x0" ? 0.28 : 0.72;
    const lx = ax + R + (bx - R - ax - R) * t;
    const ly = ay + (by - ay) * t;
    const text = el("text", { x: lx, y: ly - 5, class: "bp-edge-label", "text-anchor": "middle" }, labels);
    el("tspan", { class: "bp-w" }, text, `w ${fmt(e.weight, 2)}`);
    if (e.grad != null) el("tspan", { class: "bp-g", x: lx, dy: 13 }, text, `g ${fmt(e.grad, 4)}`);
  }

  const nodes = el("g", { class: "bp-nodes" }, svg);
  for (const [id, [x, y]] of Object.entries(POS)) {
    const kind = id[0] === "x" ? "in" : id[0] === "h" ? "hid" : "out";
    const g = el("g", { class: `bp-node bp-node-${kind}`, "data-node": id }, nodes);
    el("circle", { cx: x, cy: y, r: R }, g);
    el("text", { x, y: y - R - 6, "text-anchor": "middle", class: "bp-node-name" }, g, NAMES[id]);
    const v = ph.nodes[id];
    el("text", { x, y: y + 5, "text-anchor": "middle", class: "bp-node-value" }, g, v == null ? "·" : fmt(v, 2));
    const d = ph.nodes[id === "o0" ? "delta_o0" : `delta_${id}`];
    if (d != null) el("text", { x, y: y + R + 16, "text-anchor": "middle", class: "bp-node-delta" }, g, `δ ${fmt(d, 4)}`);
  }
  if (ph.nodes.loss != null) {
    const g = el("g", { class: `bp-node bp-node-loss${active === "loss" ? " bp-node-active" : ""}` }, nodes);
    el("rect", { x: 636, y: 165, width: 72, height: 50, rx: 8 }, g);
    el("text", { x: 672, y: 185, "text-anchor": "middle", class: "bp-node-name" }, g, "loss");
    el("text", { x: 672, y: 204, "text-anchor": "middle", class: "bp-node-value" }, g, fmt(ph.nodes.loss, 3));
    el("line", { x1: 580 + R, y1: 190, x2: 636, y2: 190, class: "bp-loss-link" }, svg);
  }
  el("text", { x: 12, y: H - 14, class: "bp-point-label" }, svg, `focus: point ${ph.point + 1}`);
  wrap.replaceChildren(svg);
}

// ------------------------------------------------------------------ panel and charts

function render(data) {
  phase = data.phase;
  state = data.state;
  root.dataset.phase = phase.name;
  root.dataset.step = state.step;
  root.querySelector("[data-bp-title]").textContent = phase.title;
  root.querySelector("[data-bp-text]").textContent = phase.text;
  const list = root.querySelector("[data-bp-equations]");
  list.replaceChildren(...phase.equations.map((eq) => {
    const li = document.createElement("li");
    li.textContent = eq;
    return li;
  }));
  for (const li of root.querySelectorAll(".bp-phases li")) {
    const on = li.dataset.phase === phase.name;
    li.classList.toggle("bp-phase-current", on);
    if (on) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
  }
  root.querySelector("[data-bp-step-count]").textContent = `Update ${state.step}`;
  const h = data.history;
  root.querySelector("[data-bp-loss]").textContent = `loss on all points ${fmt(h[h.length - 1], 4)}`;
  drawNet(phase);
  drawLoss(h);
}

const PLOT_CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

function drawLoss(history) {
  const P = Plotly();
  const div = root.querySelector("[data-bp-loss-plot]");
  if (!P) return;
  div.dataset.points = history.length;
  P.react(div, [{ type: "scatter", mode: "lines+markers", x: history.map((_, i) => i), y: history,
    line: { color: "#4f46e5", width: 2 }, marker: { size: 4 }, hovertemplate: "update %{x}: %{y:.4f}<extra></extra>" }],
  { margin: { l: 50, r: 10, t: 10, b: 40 }, xaxis: { title: { text: "update" }, rangemode: "tozero" },
    yaxis: { title: { text: "loss" }, rangemode: "tozero" }, uirevision: "loss" }, PLOT_CONFIG);
}

async function drawSurface() {
  const wa = root.querySelector("[data-bp-wa]").value;
  const wb = root.querySelector("[data-bp-wb]").value;
  const div = root.querySelector("[data-bp-surface]");
  if (!state || wa === wb) {
    if (wa === wb) { errorBox().textContent = "Pick two different weights for the loss surface."; errorBox().hidden = false; }
    return;
  }
  const fig = await post("surface", { state, w_a: wa, w_b: wb, config: { loss: config().loss } });
  const P = Plotly();
  if (!fig || !P) return;
  await P.react(div, fig.data, fig.layout, PLOT_CONFIG);
  div.dataset.rendered = String(state.step);
}

function fillWeightSelects(names) {
  const label = (n) => {
    const [k, i, j] = n.split("_");
    if (k === "W1") return `W1: x${+j + 1} → h${+i + 1}`;
    if (k === "W2") return `W2: h${+j + 1} → p`;
    if (k === "b1") return `b1: bias of h${+i + 1}`;
    return "b2: bias of p";
  };
  for (const [sel, pick] of [["[data-bp-wa]", "W2_0_0"], ["[data-bp-wb]", "W2_0_1"]]) {
    const select = root.querySelector(sel);
    if (select.options.length) continue;
    for (const n of names) select.add(new Option(label(n), n, n === pick, n === pick));
  }
}

// ------------------------------------------------------------------ actions

async function act(path, body) {
  if (busy) return;
  busy = true;
  root.setAttribute("aria-busy", "true");
  try {
    const data = await post(path, body);
    if (!data) return;
    fillWeightSelects(data.param_names);
    render(data);
    if (path === "start" || data.updated) await drawSurface();
  } finally {
    busy = false;
    root.removeAttribute("aria-busy");
  }
}

const reset = () => act("start", { config: config() });

if (root && form) {
  root.querySelector("[data-bp-step]").addEventListener("click", () => act("step", { state, config: config() }));
  root.querySelector("[data-bp-run]").addEventListener("click", () => act("step", { state, config: config(), run: 10 }));
  root.querySelector("[data-bp-reset]").addEventListener("click", reset);
  form.addEventListener("submit", (event) => event.preventDefault());
  for (const name of ["loss", "seed"]) form.elements[name].addEventListener("change", reset);
  for (const sel of ["[data-bp-wa]", "[data-bp-wb]"]) root.querySelector(sel).addEventListener("change", drawSurface);
  reset();
}
