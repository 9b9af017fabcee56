// The dataset page: progress while an upload is processed (polling the JSON API once a
// second, then a reload when it is READY or FAILED), Plotly previews, class-balance bars,
// the column checkboxes of the options form, and a confirmation before deleting.

const ACTIVE = new Set(["QUEUED", "PROCESSING"]);
const POLL_MS = 1000;
const POLL_MAX_MS = 10000;

const readJson = (id, fallback) => {
  const el = document.getElementById(id);
  if (!el) return fallback;
  try { return JSON.parse(el.textContent) ?? fallback; } catch { return fallback; }
};

const dataset = readJson("dataset-data", {});
const preview = readJson("dataset-preview", {});
const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- progress polling

const ui = {
  pill: $("status-pill"),
  progress: $("dataset-progress"),
  percent: $("dataset-progress-percent"),
  text: $("dataset-progress-text"),
  connection: $("dataset-connection"),
};

function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

function showState(data) {
  const fraction = Math.min(1, Math.max(0, Number(data.progress) || 0));
  if (ui.progress) ui.progress.value = fraction;
  if (ui.percent) ui.percent.textContent = `${Math.round(fraction * 100)}%`;
  if (ui.text) {
    const message = data.status === "QUEUED" ? "Waiting for a free worker…" : capitalise(data.progress_message || "Processing…");
    if (ui.text.textContent !== message) ui.text.textContent = message;
  }
  if (ui.pill && data.status !== ui.pill.dataset.status) {
    ui.pill.dataset.status = data.status;
    ui.pill.className = `pill pill-ds-${String(data.status).toLowerCase()}`;
  }
  if (ui.pill && ACTIVE.has(data.status)) {
    const label = data.status === "QUEUED" ? "Queued" : "Processing";
    ui.pill.textContent = `${label} · ${Math.round(fraction * 100)}%`;
  }
}

let delay = POLL_MS;

async function poll() {
  try {
    const response = await fetch(`/api/datasets/${encodeURIComponent(dataset.id)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (response.status === 404) {
      ui.connection.textContent = "This dataset no longer exists (it may have been deleted).";
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    delay = POLL_MS;
    ui.connection.textContent = "";
    showState(data);
    if (!ACTIVE.has(data.status)) {
      ui.text.textContent = data.status === "READY" ? "Done! Loading the preview…" : "Stopped. Loading the details…";
      window.location.reload();
      return;
    }
  } catch {
    delay = Math.min(delay * 2, POLL_MAX_MS);
    ui.connection.textContent = `Lost contact with the server — trying again in ${Math.round(delay / 1000)} s.`;
  }
  setTimeout(poll, delay);
}

if (ACTIVE.has(dataset.status) && ui.progress) {
  showState(dataset);
  setTimeout(poll, POLL_MS);
}

// ---------------------------------------------------------------- Plotly previews

const BASE_LAYOUT = {
  font: { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12, color: "#1e293b" },
  paper_bgcolor: "#ffffff",
  plot_bgcolor: "#ffffff",
  margin: { l: 56, r: 24, t: 12, b: 48 },
  legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
  hovermode: "closest",
  colorway: ["#4f46e5", "#ea580c", "#16a34a", "#db2777", "#0891b2", "#ca8a04"],
};
const AXIS = { gridcolor: "#e2e8f0", zerolinecolor: "#cbd5e1", linecolor: "#94a3b8", automargin: true };
const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

function drawFigure(el, figure) {
  const Plotly = window.Plotly;
  if (!Plotly || !figure || !Array.isArray(figure.data)) return;
  const given = figure.layout || {};
  const layout = {
    ...BASE_LAYOUT,
    ...given,
    xaxis: { ...AXIS, ...(given.xaxis || {}) },
    yaxis: { ...AXIS, ...(given.yaxis || {}) },
  };
  // A fixed width from the server would overflow a phone: the container decides.
  delete layout.width;
  Plotly.newPlot(el, figure.data, layout, CONFIG);
  el.classList.add("has-plot");
}

function drawFigures() {
  document.querySelectorAll(".chart[data-figure]").forEach((el) => drawFigure(el, preview[el.dataset.figure]));
}

if (document.querySelector(".chart[data-figure]")) {
  // Plotly is a deferred classic script; it has run before this module, but wait if not.
  if (window.Plotly) drawFigures();
  else window.addEventListener("load", drawFigures, { once: true });
}

// ---------------------------------------------------------------- class-balance bars

const bars = [...document.querySelectorAll(".bar[data-count]")];
if (bars.length) {
  const counts = bars.map((bar) => Number(bar.dataset.count) || 0);
  const max = Math.max(...counts, 1);
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  bars.forEach((bar, i) => {
    bar.style.width = `${(counts[i] / max) * 100}%`; // CSSOM, not a style attribute
    bar.title = `${((counts[i] / total) * 100).toFixed(1)} % of all examples`;
    bar.classList.add("is-drawn");
  });
}

// ---------------------------------------------------------------- column checkboxes

document.querySelectorAll("[data-checkboxes]").forEach((group) => {
  const tools = group.querySelector("[data-checkbox-tools]");
  const filter = group.querySelector("[data-checkbox-filter]");
  const count = group.querySelector("[data-checkbox-count]");
  const boxes = [...group.querySelectorAll("input[type=checkbox]")];
  const items = boxes.map((box) => ({ box, item: box.closest("li"), text: box.value.toLowerCase() }));

  const updateCount = () => {
    const usable = boxes.filter((b) => !b.disabled);
    const checked = usable.filter((b) => b.checked).length;
    count.textContent = `${checked} of ${usable.length} chosen`;
  };
  const visible = () => items.filter(({ item, box }) => !item.hidden && !box.disabled).map(({ box }) => box);

  group.querySelectorAll("button[data-check]").forEach((button) => {
    button.addEventListener("click", () => {
      const on = button.dataset.check === "all";
      for (const box of visible()) box.checked = on;
      updateCount();
    });
  });
  filter.addEventListener("input", () => {
    const q = filter.value.trim().toLowerCase();
    for (const { item, text } of items) item.hidden = Boolean(q) && !text.includes(q);
  });
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault(); // Enter filters; it must not submit the form
  });
  group.addEventListener("change", updateCount);
  tools.hidden = false;

  // The column to predict cannot also be a clue: its box is cleared and locked while it is the target.
  const target = group.form?.querySelector("select[name=target]");
  if (target) {
    let locked = null;
    const lockTarget = () => {
      if (locked) {
        locked.box.disabled = false;
        locked.box.checked = locked.wasChecked;
        locked.note.remove();
        locked = null;
      }
      const box = boxes.find((b) => b.value === target.value);
      if (box) {
        const note = document.createElement("span");
        note.className = "target-note";
        note.textContent = " (what to predict)";
        box.labels[0]?.append(note);
        locked = { box, note, wasChecked: box.checked };
        box.checked = false;
        box.disabled = true;
      }
      updateCount();
    };
    target.addEventListener("change", lockTarget);
    lockTarget();
  }
  updateCount();
});

// ---------------------------------------------------------------- forms

const optionsForm = $("options-form");
if (optionsForm) {
  const button = $("options-button");
  optionsForm.addEventListener("submit", () => {
    queueMicrotask(() => {
      button.disabled = true;
      button.textContent = "Starting…";
    });
  });
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    button.textContent = "Process the data";
  });
}

const deleteForm = $("delete-form");
if (deleteForm) {
  deleteForm.addEventListener("submit", (event) => {
    if (!window.confirm(deleteForm.dataset.confirm || "Delete this dataset?")) event.preventDefault();
  });
}
