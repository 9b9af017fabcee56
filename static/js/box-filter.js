// Page-side filters for a view whose figure carries `layout.meta.filter === "boxes"` (the detector's
// predicted boxes, models_lib/architectures/detection/views.py): a score slider and an NMS-IoU slider
// under the plot choose which candidate boxes are drawn, without asking the server. Non-maximum
// suppression runs here as torchvision's batched_nms does: per image and class, the surest box first,
// every box overlapping a kept one by more than the IoU dropped.

function iou(a, b) {
  const w = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  const h = Math.min(a[4], b[4]) - Math.max(a[2], b[2]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const area = (r) => (r[3] - r[1]) * (r[4] - r[2]);
  return inter / (area(a) + area(b) - inter);
}

// candidates: rows of [tile, x0, y0, x1, y1, score, class]
export function keptBoxes(candidates, score, nmsIou) {
  const sure = candidates.filter((r) => r[5] >= score).sort((a, b) => b[5] - a[5]);
  const kept = [];
  for (const row of sure) {
    if (!kept.some((k) => k[0] === row[0] && k[6] === row[6] && iou(k, row) > nmsIou)) kept.push(row);
  }
  return kept;
}

function outlines(rows) {
  const x = [];
  const y = [];
  const text = [];
  for (const r of rows) {
    x.push(r[1], r[3], r[3], r[1], r[1], null);
    y.push(r[2], r[2], r[4], r[4], r[2], null);
    const s = r[5].toFixed(2);
    text.push(s, s, s, s, s, null);
  }
  return x.length ? { x, y, text } : { x: [null], y: [null], text: [null] };
}

const state = new WeakMap(); // panel -> {score, nms, controls}

function controls(panel, meta, redraw) {
  let s = state.get(panel);
  if (s) return s;
  s = { score: meta.score, nms: meta.nms_iou };
  const box = document.createElement("div");
  box.className = "box-filter";
  const slider = (id, label, min, max, value, key) => {
    const wrap = document.createElement("label");
    wrap.className = "box-filter-field";
    wrap.htmlFor = id;
    const name = document.createElement("span");
    const input = document.createElement("input");
    Object.assign(input, { type: "range", id, min: String(min), max: String(max), step: "0.05", value: String(value) });
    const shown = () => (name.textContent = `${label} ${Number(input.value).toFixed(2)}`);
    shown();
    input.addEventListener("input", () => {
      s[key] = Number(input.value);
      shown();
      redraw();
    });
    wrap.append(name, input);
    box.append(wrap);
  };
  const key = panel.dataset.view;
  slider(`${key}-score`, "score at least", 0.1, 0.95, s.score, "score");
  slider(`${key}-nms`, "NMS IoU", 0.1, 0.95, s.nms, "nms");
  panel.append(box);
  state.set(panel, s);
  return s;
}

// The figure as the sliders of `panel` filter it (the figure itself when it carries no candidates).
export function filteredFigure(figure, panel, redraw) {
  const meta = figure?.layout?.meta;
  if (!meta || meta.filter !== "boxes" || !Array.isArray(meta.candidates)) return figure;
  const s = controls(panel, meta, redraw);
  const kept = keptBoxes(meta.candidates, s.score, s.nms);
  const classes = figure.data.filter((t) => t.meta === "predicted").map((t) => t.name);
  const data = figure.data.map((trace) => {
    if (trace.meta !== "predicted") return trace;
    const k = classes.indexOf(trace.name);
    return { ...trace, ...outlines(kept.filter((r) => r[6] === k)) };
  });
  return { ...figure, data };
}
