// Architecture diagrams: draws the diagram JSON of /api/architectures/<slug>/diagram as an
// accessible SVG and redraws it when a knob of the train form or of the sketch form changes.
// No libraries; positions come from the server, this file only routes edges and paints.

const SVG = "http://www.w3.org/2000/svg";
const EDGE_KINDS = ["forward", "skip", "recurrent", "feedback", "sample", "adversarial"];
const EDGE_NAMES = {
  forward: "forward pass", skip: "skip / residual connection", recurrent: "recurrent state",
  feedback: "feedback / backward", sample: "sampling", adversarial: "adversarial signal",
};
const DEBOUNCE_MS = 250;
let uid = 0;

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  if (parent) parent.appendChild(node);
  return node;
}

function fmt(n) {
  return n == null ? "" : Number(n).toLocaleString("en-US");
}

// ------------------------------------------------------------------ edge routing

const center = (n) => ({ x: n.x + n.w / 2, y: n.y + n.h / 2 });

function edgePath(e, a, b, cellW) {
  const ca = center(a);
  const cb = center(b);
  if (a === b) {
    // a self-loop above the node: the loop of a recurrent cell
    const x0 = a.x + a.w * 0.3;
    const x1 = a.x + a.w * 0.7;
    return { d: `M${x1},${a.y} C${x1 + 18},${a.y - 40} ${x0 - 18},${a.y - 40} ${x0},${a.y}`, lx: ca.x, ly: a.y - 34 };
  }
  const sameRow = Math.abs(ca.y - cb.y) < Math.min(a.h, b.h) / 2;
  const dx = cb.x - ca.x;
  const far = Math.abs(dx) > cellW * 1.2;
  if (sameRow && (e.kind === "skip" || (far && e.kind !== "recurrent") || e.kind === "feedback")) {
    // arcs: skips above the row, long forward / feedback links below it
    const above = e.kind === "skip";
    const lift = Math.min(70, 22 + Math.abs(dx) * 0.08);
    const ya = above ? a.y : a.y + a.h;
    const yb = above ? b.y : b.y + b.h;
    const yc = above ? Math.min(ya, yb) - lift : Math.max(ya, yb) + lift;
    const xa = ca.x + Math.sign(dx) * a.w * 0.2;
    const xb = cb.x - Math.sign(dx) * b.w * 0.2;
    return { d: `M${xa},${ya} C${xa},${yc} ${xb},${yc} ${xb},${yb}`, lx: (xa + xb) / 2, ly: yc + (above ? 6 : -2) };
  }
  if (sameRow) {
    const sx = dx >= 0 ? a.x + a.w : a.x;
    const tx = dx >= 0 ? b.x : b.x + b.w;
    const off = e.kind === "recurrent" && dx < 0 ? 8 : e.kind === "recurrent" ? -8 : 0;
    return { d: `M${sx},${ca.y + off} L${tx},${cb.y + off}`, lx: (sx + tx) / 2, ly: ca.y + off - 6 };
  }
  const down = cb.y > ca.y;
  const sy = down ? a.y + a.h : a.y;
  const ty = down ? b.y : b.y + b.h;
  if (Math.abs(dx) < 4) {
    return { d: `M${ca.x},${sy} L${cb.x},${ty}`, lx: ca.x + 6, ly: (sy + ty) / 2 };
  }
  if (e.kind === "skip" || e.kind === "feedback" || e.kind === "adversarial" || e.kind === "sample") {
    // a smooth curve between rows
    const my = (sy + ty) / 2;
    return { d: `M${ca.x},${sy} C${ca.x},${my} ${cb.x},${my} ${cb.x},${ty}`, lx: (ca.x + cb.x) / 2, ly: my - 4 };
  }
  // an elbow: leave vertically, cross in the gap between the rows, enter vertically
  const gapY = down ? ty - 14 : ty + 14;
  const r = Math.min(8, Math.abs(dx) / 2);
  const sgn = Math.sign(dx);
  const vs = down ? 1 : -1;
  return {
    d: `M${ca.x},${sy} L${ca.x},${gapY - vs * r} Q${ca.x},${gapY} ${ca.x + sgn * r},${gapY} ` +
       `L${cb.x - sgn * r},${gapY} Q${cb.x},${gapY} ${cb.x},${gapY + vs * r} L${cb.x},${ty}`,
    lx: (ca.x + cb.x) / 2, ly: gapY - 4,
  };
}

// ------------------------------------------------------------------ the turned layout (phones)
// The server lays a diagram out left to right, in rows of up to nine blocks: 1,300 px and more wide.
// Scaled into a phone's 320 px its labels would be 3 px high. Where the wide drawing would shrink its
// text below MIN_SCALE, the diagram is drawn turned: the forward pass runs down the screen, each row
// of the wide layout becomes a column, and the blocks keep their size and their horizontal labels.
// Edges are routed by the same rules in the turned frame (x and y swapped), so a skip arc that runs
// above a row runs beside a column.

const MIN_SCALE = 0.6; // below this the wide drawing's labels are too small to read
const SCROLL_SCALE = 0.75; // a drawing is never shrunk below this: the canvas scrolls sideways instead
const TURN_GAIN = 1.5; // the turned layout is drawn when its labels come out at least this much larger
const TURNED = { gapX: 34, gapY: 30, padLeft: 64, padRight: 24, padTop: 28, padBottom: 28, groupPad: 10, groupLabel: 20 };

function levels(values) {
  return [...new Set(values)].sort((a, b) => a - b);
}

function turnedLayout(data) {
  if (!data.nodes.length || data.nodes.some((n) => n.col == null || n.row == null)) return null;
  // columns of the turned drawing: one per row of the wide one, as wide as its widest block
  const xs = new Map();
  let x = TURNED.padLeft;
  for (const row of levels(data.nodes.map((n) => n.row))) {
    const w = Math.max(...data.nodes.filter((n) => n.row === row).map((n) => n.w));
    xs.set(row, x + w / 2);
    x += w + TURNED.gapX;
  }
  // rows of the turned drawing: one per column of the wide one, as tall as its tallest block
  const ys = new Map();
  let y = TURNED.padTop;
  for (const col of levels(data.nodes.map((n) => n.col))) {
    const members = data.nodes.filter((n) => n.col === col);
    const h = Math.max(...members.map((n) => n.h + (n.cells ? 34 : 0))); // a grid's labels sit outside it
    ys.set(col, y + h / 2);
    y += h + TURNED.gapY;
  }
  const nodes = data.nodes.map((n) => ({ ...n, x: Math.round(xs.get(n.row) - n.w / 2), y: Math.round(ys.get(n.col) - n.h / 2) }));
  const labels = Object.fromEntries(data.groups.map((g) => [g.id, g.label]));
  const groups = [];
  for (const id of Object.keys(labels)) {
    const members = nodes.filter((n) => n.group === id);
    if (!members.length) continue;
    const x0 = Math.min(...members.map((n) => n.x)) - TURNED.groupPad;
    const y0 = Math.min(...members.map((n) => n.y)) - TURNED.groupPad - TURNED.groupLabel;
    const x1 = Math.max(...members.map((n) => n.x + n.w)) + TURNED.groupPad;
    const y1 = Math.max(...members.map((n) => n.y + n.h)) + TURNED.groupPad;
    groups.push({ id, label: labels[id], x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
  }
  const width = Math.max(...nodes.map((n) => n.x + n.w), ...groups.map((g) => g.x + g.w)) + TURNED.padRight;
  const height = Math.max(...nodes.map((n) => n.y + n.h), ...groups.map((g) => g.y + g.h)) + TURNED.padBottom;
  return { ...data, nodes, groups, width, height, turned: true };
}

// The layout that reads best in a container `space` px wide: the wide one unless its labels would be
// too small and the turned one reads clearly larger (a chain of blocks; a layout that is already
// two-dimensional, a small network or a tree of many levels, stays as drawn and scrolls sideways).
function chooseLayout(data, space) {
  if (!space || space / data.width >= MIN_SCALE) return data;
  const turned = turnedLayout(data);
  return turned && Math.min(1, space / turned.width) >= TURN_GAIN * (space / data.width) ? turned : data;
}

const swapPoints = (d) => d.replace(/(-?[\d.]+),(-?[\d.]+)/g, "$2,$1");
const swapBox = (n) => ({ x: n.y, y: n.x, w: n.h, h: n.w });

function route(e, a, b, turned) {
  if (!turned) return edgePath(e, a, b, 150);
  // the same rules in the turned frame, then back
  const sa = swapBox(a);
  const r = edgePath(e, sa, a === b ? sa : swapBox(b), TURNED.gapY + 52); // a === b: a loop on one block
  return { d: swapPoints(r.d), lx: r.ly, ly: r.lx };
}

// ------------------------------------------------------------------ drawing

function describe(data) {
  const kinds = {};
  for (const n of data.nodes) kinds[n.kind] = (kinds[n.kind] || 0) + 1;
  const edges = {};
  for (const e of data.edges) edges[e.kind] = (edges[e.kind] || 0) + 1;
  const layers = data.nodes.map((n) => (n.sublabel ? `${n.label} (${n.sublabel})` : n.label)).join(", ");
  const special = Object.entries(edges).filter(([k]) => k !== "forward")
    .map(([k, v]) => `${v} ${EDGE_NAMES[k]} link${v > 1 ? "s" : ""}`).join(", ");
  const params = data.params != null ? ` ${fmt(data.params)} parameters.` : "";
  return `${data.nodes.length} blocks: ${layers}.${special ? ` Also ${special}.` : ""}${params}`;
}

export function render(container, given) {
  const id = `dg${++uid}`;
  const data = chooseLayout(given, container.clientWidth);
  const svg = el("svg", {
    viewBox: `0 0 ${data.width} ${data.height}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc`,
    class: "dg-svg", preserveAspectRatio: "xMidYMin meet",
  });
  svg.style.maxWidth = `${data.turned ? data.width : Math.max(data.width, 480)}px`;
  // never shrunk below a readable size: a drawing still too wide scrolls sideways in its canvas
  svg.style.minWidth = `${Math.round(Math.min(data.width, Math.max(container.clientWidth, data.width * SCROLL_SCALE)))}px`;
  svg.dataset.layout = data.turned ? "turned" : "wide";
  el("title", { id: `${id}-title` }, svg).textContent = `Diagram: ${data.title}`;
  el("desc", { id: `${id}-desc` }, svg).textContent = describe(data);

  const defs = el("defs", {}, svg);
  for (const kind of EDGE_KINDS) {
    const marker = el("marker", {
      id: `${id}-arrow-${kind}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9, markerHeight: 9,
      orient: "auto-start-reverse", markerUnits: "userSpaceOnUse",
    }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", class: `dg-arrow dg-arrow-${kind}` }, marker);
  }

  for (const g of data.groups) {
    const group = el("g", { class: "dg-group" }, svg);
    el("rect", { x: g.x, y: g.y, width: g.w, height: g.h, rx: 12 }, group);
    el("text", { x: g.x + 10, y: g.y + 14, class: "dg-group-label" }, group).textContent = g.label;
  }

  const byId = Object.fromEntries(data.nodes.map((n) => [n.id, n]));
  const edgeLayer = el("g", { class: "dg-edges" }, svg);
  const labelLayer = el("g", { class: "dg-edge-labels" });
  for (const e of data.edges) {
    const a = byId[e.from];
    const b = byId[e.to];
    if (!a || !b) continue;
    const path = route(e, a, b, data.turned);
    el("path", { d: path.d, class: `dg-edge dg-edge-${e.kind}`, "marker-end": `url(#${id}-arrow-${e.kind})` }, edgeLayer);
    if (e.label) {
      // beside a line that runs down (turned), above one that runs across
      const at = data.turned ? { x: path.lx - 3, y: path.ly + 4, "text-anchor": "end" } : { x: path.lx, y: path.ly, "text-anchor": "middle" };
      const t = el("text", { ...at, class: `dg-edge-label dg-edge-label-${e.kind}` }, labelLayer);
      t.textContent = e.label;
    }
  }

  const nodeLayer = el("g", { class: "dg-nodes" }, svg);
  for (const n of data.nodes) {
    const g = el("g", { class: `dg-node dg-kind-${n.kind}` }, nodeLayer);
    const tip = [n.label, n.sublabel, n.params != null ? `${fmt(n.params)} parameters` : ""].filter(Boolean).join(" · ");
    el("title", {}, g).textContent = tip;
    el("rect", { x: n.x, y: n.y, width: n.w, height: n.h, rx: 9 }, g);
    const cx = n.x + n.w / 2;
    if (n.cells) {
      drawGrid(g, n);
      text(g, n.label, cx, n.y - 6, n.w + 30, "dg-label");
      text(g, n.sublabel, cx, n.y + n.h + 14, n.w + 40, "dg-sublabel");
      continue;
    }
    const two = Boolean(n.sublabel) && n.h >= 36;
    text(g, n.label, cx, n.y + (two ? n.h / 2 - 3 : n.h / 2 + 4), n.w - 10, "dg-label");
    if (two) text(g, n.sublabel, cx, n.y + n.h / 2 + 13, n.w - 10, "dg-sublabel");
  }
  svg.appendChild(labelLayer); // edge labels on top of everything
  container.replaceChildren(svg);
  if (data.turned) {
    // the turned frame's labels and loops may reach past the padding: fit the view to what is drawn
    const box = svg.getBBox();
    const pad = 8;
    const width = Math.ceil(box.width + 2 * pad);
    svg.setAttribute("viewBox", `${Math.floor(box.x - pad)} ${Math.floor(box.y - pad)} ${width} ${Math.ceil(box.height + 2 * pad)}`);
    svg.style.maxWidth = `${width}px`;
    svg.style.minWidth = `${Math.round(Math.min(width, Math.max(container.clientWidth, width * SCROLL_SCALE)))}px`;
  }
  return svg;
}

function text(parent, content, x, y, maxWidth, cls) {
  if (!content) return null;
  const t = el("text", { x, y, class: cls, "text-anchor": "middle" }, parent);
  t.textContent = content;
  // a cheap width estimate (no layout pass): shrink the font a little, then squeeze if still too long
  const size = cls === "dg-label" ? 12.5 : 11;
  const estimate = content.length * size * (cls === "dg-label" ? 0.6 : 0.6);
  if (estimate > maxWidth) {
    const scale = Math.max(0.8, maxWidth / estimate);
    t.style.fontSize = `${(size * scale).toFixed(1)}px`;
    if (estimate * scale > maxWidth) {
      t.setAttribute("textLength", maxWidth);
      t.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  }
  return t;
}

function drawGrid(g, n) {
  const [cols, rows] = n.cells;
  const shownCols = Math.min(cols, 16);
  const shownRows = Math.min(rows, 16);
  const pad = 8;
  const cw = (n.w - 2 * pad) / shownCols;
  const ch = (n.h - 2 * pad) / shownRows;
  const bmu = [Math.floor(shownCols * 0.62), Math.floor(shownRows * 0.38)];
  for (let r = 0; r < shownRows; r++) {
    for (let c = 0; c < shownCols; c++) {
      const d = Math.hypot(c - bmu[0], r - bmu[1]);
      const cls = d === 0 ? "dg-cell dg-cell-bmu" : d <= Math.max(1.5, shownCols / 6) ? "dg-cell dg-cell-near" : "dg-cell";
      el("rect", { x: n.x + pad + c * cw + 0.8, y: n.y + pad + r * ch + 0.8, width: Math.max(1, cw - 1.6), height: Math.max(1, ch - 1.6), rx: 1.5, class: cls }, g);
    }
  }
}

function legend(container, data) {
  const used = EDGE_KINDS.filter((k) => data.edges.some((e) => e.kind === k));
  const list = document.createElement("ul");
  list.className = "dg-legend";
  for (const kind of used) {
    const item = document.createElement("li");
    const swatch = el("svg", { width: 28, height: 10, "aria-hidden": "true", class: "dg-swatch" });
    el("path", { d: "M1,5 L27,5", class: `dg-edge dg-edge-${kind}` }, swatch);
    item.append(swatch, ` ${EDGE_NAMES[kind]}`);
    list.appendChild(item);
  }
  container.replaceChildren(list);
}

// ------------------------------------------------------------------ live updates

function knobQuery(forms) {
  const params = new URLSearchParams();
  for (const form of forms) {
    for (const [name, value] of new FormData(form)) {
      if (name === "csrfmiddlewaretoken" || name.startsWith("data__") || typeof value !== "string") continue;
      params.append(name, value);
    }
  }
  return params;
}

function errorText(body) {
  if (!body) return "These settings cannot be drawn.";
  const fields = (body.errors || []).map((e) => `${e.field.replace(/^config\./, "")}: ${e.message}`);
  return fields.length ? `Cannot draw these settings — ${fields.join("; ")}` : body.detail || "These settings cannot be drawn.";
}

export function mount(figure, initial) {
  const slug = figure.dataset.slug;
  const canvas = figure.querySelector(".arch-diagram-canvas") || figure;
  const message = figure.querySelector(".arch-diagram-message");
  const legendBox = figure.querySelector(".arch-diagram-legend");
  const caption = figure.querySelector("[data-diagram-caption]");
  const fallback = figure.querySelector(".arch-diagram-fallback");

  const scrollHint = figure.querySelector(".arch-diagram-scroll");
  // A drawing wider than its canvas scrolls sideways: say so, and let the keyboard scroll it too.
  function markScrolling() {
    const scrolls = canvas.scrollWidth > canvas.clientWidth + 4;
    if (scrollHint) scrollHint.hidden = !scrolls;
    if (scrolls) {
      canvas.tabIndex = 0;
      canvas.setAttribute("role", "region");
      canvas.setAttribute("aria-label", "The diagram (scrolls sideways)");
    } else {
      canvas.removeAttribute("tabindex");
      canvas.removeAttribute("role");
      canvas.removeAttribute("aria-label");
    }
  }
  let shown = null;
  function show(data) {
    shown = data;
    render(canvas, data);
    markScrolling();
    if (legendBox) legend(legendBox, data);
    if (caption) {
      const params = data.params != null ? ` · ${fmt(data.params)} parameters` : "";
      caption.textContent = `${data.title}${params}`;
    }
    const notes = figure.querySelector(".arch-diagram-notes");
    if (notes) {
      notes.replaceChildren(...data.notes.map((note) => Object.assign(document.createElement("li"), { textContent: note })));
    }
    if (fallback) fallback.hidden = true;
  }

  if (initial) show(initial);
  // a phone turned sideways, a window resized: draw the layout that reads best at the new width
  if (window.ResizeObserver) {
    let width = canvas.clientWidth;
    new ResizeObserver(() => {
      if (!shown || Math.abs(canvas.clientWidth - width) < 24) return;
      width = canvas.clientWidth;
      const layout = canvas.querySelector(".dg-svg")?.dataset.layout;
      if (layout !== (chooseLayout(shown, width).turned ? "turned" : "wide")) show(shown);
      else markScrolling();
    }).observe(canvas);
  }

  const forms = [];
  const trainForm = document.querySelector("form#train-form") ||
    [...document.querySelectorAll("form")].find((f) => f.querySelector("[name=hidden_layers]"));
  if (trainForm && figure.dataset.trainable) forms.push(trainForm);
  const sketchForm = figure.querySelector("form.arch-diagram-knobs");
  if (sketchForm) {
    forms.push(sketchForm);
    sketchForm.addEventListener("submit", (event) => event.preventDefault());
  }
  if (!forms.length) return;

  let timer = null;
  let controller = null;
  async function refresh() {
    controller?.abort();
    controller = new AbortController();
    const url = `/api/architectures/${encodeURIComponent(slug)}/diagram?${knobQuery(forms)}`;
    figure.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, signal: controller.signal, credentials: "same-origin" });
      const body = await response.json().catch(() => null);
      if (response.ok && body) {
        show(body);
        if (message) { message.textContent = ""; message.hidden = true; }
      } else if (message) {
        message.textContent = response.status === 422 ? errorText(body) : `The diagram could not be updated (${response.status}).`;
        message.hidden = false;
      }
    } catch (err) {
      if (err.name !== "AbortError" && message) {
        message.textContent = "The diagram could not be updated (network error).";
        message.hidden = false;
      }
    } finally {
      figure.removeAttribute("aria-busy");
    }
  }
  const schedule = () => { clearTimeout(timer); timer = setTimeout(refresh, DEBOUNCE_MS); };
  for (const form of forms) {
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
  }
}

function readInitial() {
  const script = document.getElementById("diagram-data");
  if (!script) return null;
  try { return JSON.parse(script.textContent); } catch { return null; }
}

const figures = document.querySelectorAll("figure.arch-diagram");
if (figures.length) {
  const initial = readInitial();
  figures.forEach((figure, i) => mount(figure, i === 0 ? initial : null));
}
