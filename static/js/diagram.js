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

export function render(container, data) {
  const id = `dg${++uid}`;
  const svg = el("svg", {
    viewBox: `0 0 ${data.width} ${data.height}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc`,
    class: "dg-svg", preserveAspectRatio: "xMidYMin meet",
  });
  svg.style.maxWidth = `${Math.max(data.width, 480)}px`;
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
  const cellW = 150;
  const edgeLayer = el("g", { class: "dg-edges" }, svg);
  const labelLayer = el("g", { class: "dg-edge-labels" });
  for (const e of data.edges) {
    const a = byId[e.from];
    const b = byId[e.to];
    if (!a || !b) continue;
    const route = edgePath(e, a, b, cellW);
    el("path", { d: route.d, class: `dg-edge dg-edge-${e.kind}`, "marker-end": `url(#${id}-arrow-${e.kind})` }, edgeLayer);
    if (e.label) {
      const t = el("text", { x: route.lx, y: route.ly, class: `dg-edge-label dg-edge-label-${e.kind}`, "text-anchor": "middle" }, labelLayer);
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

  function show(data) {
    render(canvas, data);
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
