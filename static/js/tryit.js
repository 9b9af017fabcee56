// "Try it": the finished run's model on the visitor's own input. GET /api/jobs/<id>/try says what the
// model takes; every try is a POST of a JSON object to the same path. The panel opens when the run
// succeeds (job.js sends "job:status"), without a reload.

const panel = document.getElementById("tryit");
const body = document.getElementById("tryit-body");
const errorBox = document.getElementById("tryit-error");
const resultBox = document.getElementById("tryit-result");
const url = panel.dataset.url;
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

let info = null;
let inFlight = false;
let pending = null; // the latest inputs asked for while a try was in flight: sent next, older ones dropped

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function csrfToken() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
}

async function problem(response) {
  try {
    const data = await response.json();
    const fields = (data.errors || []).map((e) => `${e.field}: ${e.message}`);
    return fields.length ? fields.join("; ") : data.detail || `The server answered ${response.status}.`;
  } catch {
    return `The server answered ${response.status}.`;
  }
}

// One try at a time; a newer input asked for meanwhile replaces any older one still waiting.
async function tryInputs(inputs, render) {
  if (inFlight) {
    pending = { inputs, render };
    return;
  }
  inFlight = true;
  panel.dataset.busy = "1";
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(inputs),
      credentials: "same-origin",
    });
    if (!response.ok) {
      showError(await problem(response));
    } else {
      showError("");
      const data = await response.json();
      render(data.result);
      panel.dataset.tries = String(Number(panel.dataset.tries || 0) + 1);
    }
  } catch {
    showError("The try did not reach the server; check the connection and try again.");
  } finally {
    inFlight = false;
    delete panel.dataset.busy;
    if (pending) {
      const next = pending;
      pending = null;
      tryInputs(next.inputs, next.render);
    }
  }
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// ---------------------------------------------------------------- what comes back

function bars(probabilities, title) {
  const list = el("ol", { class: "tryit-bars", "aria-label": title });
  for (const p of probabilities) {
    const fill = el("span", { class: "tryit-bar-fill" });
    fill.style.width = `${Math.max(0.5, p.p * 100).toFixed(1)}%`;
    list.append(
      el(
        "li",
        { class: "tryit-bar-row" },
        el("span", { class: "tryit-bar-label", text: p.class, title: p.class }),
        el("span", { class: "tryit-bar", "aria-hidden": "true" }, fill),
        el("span", { class: "tryit-bar-value num", text: `${(p.p * 100).toFixed(1)} %` }),
      ),
    );
  }
  return list;
}

function picture(src, alt, className = "tryit-picture") {
  return el("img", { src, alt, class: className });
}

function figure(caption, ...content) {
  return el("figure", { class: "tryit-figure" }, ...content, el("figcaption", { class: "muted", text: caption }));
}

function show(...nodes) {
  resultBox.replaceChildren(...nodes.filter(Boolean));
}

function verdict(text) {
  return el("p", { class: "tryit-verdict", id: "tryit-verdict", text });
}

function numberText(v) {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(3) : v.toPrecision(4);
}

function renderClasses(result) {
  if (typeof result.value === "number") {
    show(verdict(`Predicted ${result.target}: ${numberText(result.value)}`));
    return;
  }
  const nodes = [verdict(`The model says: ${result.predicted}`), bars(result.probabilities, "Class probabilities")];
  if (result.input_image) {
    const maps = el("div", { class: "tryit-maps" });
    maps.append(figure("What the model sees (your input at the data's size)", picture(result.input_image, "Your input, as the model reads it", "tryit-picture tryit-small")));
    for (const m of result.feature_maps || []) {
      maps.append(figure(`Stage ${m.stage}: ${m.shape.join(" × ")} (first channels)`, picture(m.image, `Feature maps of stage ${m.stage}`, "tryit-picture tryit-maps-img")));
    }
    nodes.push(el("h3", { text: "Feature maps of your input" }), maps);
  }
  show(...nodes);
}

function renderAnomaly(result) {
  const pct = result.percentile;
  const words = pct >= 95 ? "unusual: rebuilt worse than almost all test samples" : pct >= 75 ? "a little unusual" : "ordinary: rebuilt as well as typical test samples";
  const nodes = [
    verdict(`Anomaly score: ${pct.toFixed(1)}th percentile (${words})`),
    el("p", { class: "muted", text: `Reconstruction error ${numberText(result.error)}; the test set's median is ${numberText(result.test_errors.median)} and 95 % of its ${result.test_errors.n} samples are below ${numberText(result.test_errors.p95)}.` }),
  ];
  if (result.reconstruction_image) {
    nodes.push(el("div", { class: "tryit-maps" }, figure("Your input", picture(result.input_image, "Your input")), figure("Its reconstruction", picture(result.reconstruction_image, "The reconstruction"))));
  } else if (Array.isArray(result.reconstruction)) {
    nodes.push(el("p", { class: "tryit-series-text", text: `Reconstruction: ${result.reconstruction.map(numberText).join(", ")}` }));
  } else if (result.reconstruction) {
    nodes.push(table(result.reconstruction, "Reconstruction"));
  }
  show(...nodes);
}

// a restricted Boltzmann machine's answer: the drawing as its visible units read it, its reconstruction, and
// Gibbs chains started from it (one row per number of steps), with how typical its free energy is
function renderGibbs(result) {
  const pct = result.percentile;
  const words = pct >= 95 ? "unusual: less likely to the model than almost every test image" : pct >= 75 ? "a little unusual" : "typical of the images it learnt";
  const rows = result.rows.map((k) => `${k} step${k === 1 ? "" : "s"}`).join(", ");
  show(
    verdict(`Free energy ${numberText(result.free_energy)}: ${pct.toFixed(0)}th percentile of the test images (${words})`),
    el("p", { class: "muted", text: `${result.hidden_on} of ${result.hidden_units} hidden units are more likely on than off for your drawing. Lower free energy means likelier.` }),
    el("div", { class: "tryit-maps" },
      figure("What the model reads (binarised)", picture(result.input_image, "Your drawing, as the visible units read it")),
      figure("One trip up and down", picture(result.reconstruction_image, "The reconstruction"))),
    figure(`${result.chains} chains from your drawing, after ${rows}`, picture(result.samples_image, "Gibbs samples started from your drawing", "tryit-picture tryit-grid")),
  );
}

function table(row, caption) {
  const t = el("table", { class: "metrics-table tryit-table" }, el("caption", { text: caption }));
  const tbody = el("tbody");
  for (const [key, value] of Object.entries(row)) tbody.append(el("tr", {}, el("th", { scope: "row", text: key }), el("td", { class: "num", text: numberText(value) })));
  t.append(tbody);
  return t;
}

function plot(target, traces, layout) {
  if (!window.Plotly) return false;
  window.Plotly.react(target, traces, {
    margin: { l: 40, r: 10, t: 30, b: 40 },
    height: 320,
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
    ...layout,
  }, { displayModeBar: false, responsive: true });
  return true;
}

// ---------------------------------------------------------------- inputs

// a canvas with its controls beside it (below it on a phone)
function canvasPanel(canvas, ...controls) {
  return el("div", { class: "tryit-draw" }, canvas, el("div", { class: "tryit-controls" }, ...controls));
}

// where a pointer event lands on a canvas, in the canvas's own pixels (it may be shown smaller)
function canvasPoint(canvas, event) {
  const box = canvas.getBoundingClientRect();
  return [((event.clientX - box.left) * canvas.width) / box.width, ((event.clientY - box.top) * canvas.height) / box.height];
}

// "Or upload a picture": the file goes to the model as it is (the server checks and reads it) and, once
// decoded, to onPicture(img) to be shown on the canvas
function uploadInput(onPicture, renderResult) {
  const file = el("input", { type: "file", accept: "image/png,image/jpeg,image/gif,image/bmp,image/webp", id: "tryit-file" });
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    if (chosen.size > info.limits.max_image_bytes) {
      showError(`That picture is ${(chosen.size / 1048576).toFixed(1)} MB; pictures may be at most ${(info.limits.max_image_bytes / 1048576).toFixed(1)} MB.`);
      return;
    }
    const reader = new FileReader();
    reader.onload = () => {
      const img = new Image();
      img.onload = () => onPicture(img);
      img.src = reader.result;
      tryInputs({ image: reader.result }, renderResult);
    };
    reader.readAsDataURL(chosen);
  });
  return file;
}

function imageInput(renderResult) {
  const size = 280;
  const canvas = el("canvas", { width: size, height: size, class: "tryit-canvas", id: "tryit-canvas", "aria-label": `Drawing area: draw with the mouse, a pen or a finger; it is read at ${info.side} × ${info.side} pixels` });
  const ctx = canvas.getContext("2d");
  const dark = info.dark_background;
  const background = dark ? "#000" : "#fff";
  const ink = dark ? "#fff" : "#000";
  const clear = () => {
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, size, size);
  };
  clear();
  let drawing = false;
  let last = null;
  const at = (event) => canvasPoint(canvas, event);
  const send = () => tryInputs({ image: canvas.toDataURL("image/png") }, renderResult);
  const sendSoon = debounce(send, 150);
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = at(event);
    stroke(last, last);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const point = at(event);
    stroke(last, point);
    last = point;
    sendSoon();
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    send();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  function stroke(a, b) {
    ctx.strokeStyle = ink;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = Math.max(6, (size / info.side) * 1.3);
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  }
  const clearButton = el("button", { type: "button", class: "button", id: "tryit-clear", text: "Clear" });
  clearButton.addEventListener("click", () => {
    clear();
    resultBox.replaceChildren();
    showError("");
  });
  const file = uploadInput((img) => {
    clear();
    ctx.drawImage(img, 0, 0, size, size);
  }, renderResult);
  const how = dark ? "light strokes on a dark background, as the data's pictures are" : "dark strokes on a light background, as the data's pictures are";
  return canvasPanel(
    canvas,
    el("p", { class: "muted", text: `Draw ${info.class_names?.length ? "one of: " + info.class_names.slice(0, 12).join(", ") : "something"} (${how}); the model reads it at ${info.side} × ${info.side} pixels when you lift the pen.` }),
    clearButton,
    el("label", { class: "tryit-file", for: "tryit-file" }, "Or upload a picture: ", file),
  );
}

function rowInput(renderResult) {
  const form = el("form", { class: "tryit-row", id: "tryit-row" });
  const fields = el("div", { class: "tryit-fields" });
  info.columns.forEach((column, i) => {
    const id = `tryit-col-${i}`;
    const input = el("input", { type: "text", inputmode: "decimal", id, name: column, value: String(info.example?.[column] ?? 0), autocomplete: "off" });
    fields.append(el("label", { for: id, class: "tryit-field" }, el("span", { text: column }), input));
  });
  const button = el("button", { type: "submit", class: "button button-primary", text: info.task === "regress" ? "Predict the number" : "Predict" });
  form.append(fields, button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const row = {};
    for (const input of fields.querySelectorAll("input")) row[input.name] = input.value;
    tryInputs({ row }, renderResult);
  });
  return form;
}

function pointInput() {
  const box = el("div", { class: "tryit-plane", id: "tryit-plane", role: "img", "aria-label": "The plane of the data: click or tap anywhere to ask the model about that point" });
  const classes = info.class_names || [];
  const traces = [];
  if (classes.length) {
    classes.forEach((name, k) => {
      const pts = info.points.filter((_, i) => info.point_classes[i] === k);
      traces.push({ type: "scatter", mode: "markers", name, x: pts.map((p) => p[0]), y: pts.map((p) => p[1]), marker: { size: 5, color: COLORS[k % COLORS.length], opacity: 0.45 }, hoverinfo: "skip" });
    });
  } else {
    traces.push({ type: "scatter", mode: "markers", name: "training points", x: info.points.map((p) => p[0]), y: info.points.map((p) => p[1]), marker: { size: 5, color: "#94a3b8" }, hoverinfo: "skip" });
  }
  traces.push({ type: "scatter", mode: "markers", name: "your point", x: [], y: [], marker: { size: 14, color: "#111827", symbol: "x" } });
  const layout = { xaxis: { range: info.x_range, title: { text: info.columns[0] } }, yaxis: { range: info.y_range, title: { text: info.columns[1] }, scaleanchor: "x" }, dragmode: false, hovermode: false };
  const ask = (x, y) => {
    traces[traces.length - 1].x = [x];
    traces[traces.length - 1].y = [y];
    plot(box, traces, layout);
    tryInputs({ point: [x, y] }, renderClasses);
  };
  // a click anywhere on the plot area: pixel position to data coordinates
  box.addEventListener("pointerup", (event) => {
    const full = box._fullLayout;
    if (!full) return;
    const area = box.querySelector(".nsewdrag")?.getBoundingClientRect();
    if (!area) return;
    const px = event.clientX - area.left;
    const py = event.clientY - area.top;
    if (px < 0 || py < 0 || px > area.width || py > area.height) return;
    ask(full.xaxis.p2l(px), full.yaxis.p2l(py));
  });
  const draw = () => plot(box, traces, layout) || setTimeout(draw, 200);
  setTimeout(draw, 0);
  return el("div", {}, el("p", { class: "muted", text: "Click or tap anywhere on the plane: the model says which class it puts that point in, and how sure it is." }), box);
}

function textInput() {
  const form = el("form", { class: "tryit-text-form" });
  const seed = el("textarea", { id: "tryit-seed", rows: "3", maxlength: String(info.limits.max_text_chars) });
  seed.value = info.example || "";
  const temp = el("input", { type: "range", id: "tryit-temperature", min: String(info.temperature_range[0]), max: String(info.temperature_range[1]), step: "0.05", value: String(info.temperature) });
  const tempValue = el("output", { for: "tryit-temperature", text: Number(info.temperature).toFixed(2) });
  temp.addEventListener("input", () => (tempValue.textContent = Number(temp.value).toFixed(2)));
  const length = el("input", { type: "number", id: "tryit-length", min: "1", max: String(info.limits.max_generate_chars), value: String(info.length) });
  form.append(
    el("label", { for: "tryit-seed" }, "Seed text (the model writes on from it)"),
    seed,
    el("div", { class: "tryit-fields" },
      el("label", { for: "tryit-temperature", class: "tryit-field" }, el("span", {}, "Temperature ", tempValue), temp),
      el("label", { for: "tryit-length", class: "tryit-field" }, el("span", { text: "Characters to write" }), length)),
    el("button", { type: "submit", class: "button button-primary", text: "Write" }),
  );
  let sample = 0;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sample += 1;
    tryInputs({ seed: seed.value, temperature: Number(temp.value), length: Number(length.value), sample_seed: sample }, (result) => {
      show(
        el("p", { class: "tryit-text" }, el("strong", { text: result.seed }), document.createTextNode(result.generated)),
        el("h3", { text: "What it expected right after your seed" }),
        bars(result.next, "Next character probabilities"),
      );
    });
  });
  return form;
}

function seriesInput() {
  const form = el("form", { class: "tryit-text-form" });
  const values = el("textarea", { id: "tryit-series", rows: "4" });
  values.value = info.channels.length > 1 ? info.example.map((r) => r.join(" ")).join("\n") : info.example.join(", ");
  const steps = el("input", { type: "number", id: "tryit-steps", min: "1", max: String(info.max_steps), value: String(info.steps) });
  form.append(
    el("label", { for: "tryit-series" }, `Your series, oldest first (at least ${info.window} values${info.channels.length > 1 ? `, one line per step with ${info.channels.length} numbers` : ""}); the model extends it`),
    values,
    el("label", { for: "tryit-steps", class: "tryit-field" }, el("span", { text: `Steps to forecast (it writes ${info.horizon} at a time)` }), steps),
    el("button", { type: "submit", class: "button button-primary", text: "Extend" }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    tryInputs({ series: values.value, steps: Number(steps.value) }, (result) => {
      const n = result.history.length;
      const chart = el("div", { class: "tryit-chart", id: "tryit-series-chart" });
      show(verdict(`Forecast of the next ${result.forecast.length} steps`), chart, el("p", { class: "muted tryit-series-text", text: result.forecast.map(numberText).join(", ") }));
      plot(chart, [
        { type: "scatter", mode: "lines", name: "your series", x: [...Array(n).keys()], y: result.history, line: { color: "#475569" } },
        { type: "scatter", mode: "lines+markers", name: "forecast", x: [n - 1, ...result.forecast.map((_, i) => n + i)], y: [result.history[n - 1], ...result.forecast], line: { color: "#4f46e5" }, marker: { size: 4 } },
      ], { xaxis: { title: { text: "step" } } });
    });
  });
  return form;
}

function latentInput() {
  const box = el("div", { class: "tryit-latent" });
  const sliders = [];
  const out = el("div", { class: "tryit-decoded", id: "tryit-decoded" });
  const render = (result) => {
    if (result.image) out.replaceChildren(picture(result.image, "The picture this code decodes to", "tryit-picture tryit-large"));
    else out.replaceChildren(table(result.row, "The row this code decodes to"));
  };
  const send = () => tryInputs({ z: sliders.map((s) => Number(s.value)) }, render);
  const live = debounce(send, 40);
  const grid = el("div", { class: "tryit-sliders" });
  for (let i = 0; i < info.latent_size; i += 1) {
    const id = `tryit-z-${i}`;
    const slider = el("input", { type: "range", id, min: String(-info.range), max: String(info.range), step: "0.05", value: String(info.example?.[i] ?? 0) });
    const value = el("output", { for: id, text: Number(slider.value).toFixed(2) });
    slider.addEventListener("input", () => {
      value.textContent = Number(slider.value).toFixed(2);
      live();
    });
    sliders.push(slider);
    grid.append(el("label", { for: id, class: "tryit-slider" }, el("span", {}, `z${i + 1} `, value), slider));
  }
  const random = el("button", { type: "button", class: "button", text: "Random code" });
  random.addEventListener("click", () => {
    for (const s of sliders) {
      // a draw from the prior N(0, 1) (Box–Muller), kept within the sliders' reach
      const g = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
      s.value = String(Math.max(-info.range, Math.min(info.range, g)));
      s.dispatchEvent(new Event("input"));
    }
  });
  const zero = el("button", { type: "button", class: "button", text: "Centre (all 0)" });
  zero.addEventListener("click", () => {
    for (const s of sliders) {
      s.value = "0";
      s.dispatchEvent(new Event("input"));
    }
  });
  box.append(el("p", { class: "muted", text: `Move a slider: the decoder turns the ${info.latent_size} numbers of the code into ${info.images ? "a picture" : "a row"}, live. The prior the codes were pulled toward is the standard normal, so most of it lies within ±2.` }), el("div", { class: "tryit-latent-row" }, grid, out), el("p", {}, random, " ", zero));
  setTimeout(send, 0);
  return box;
}

function seedInput() {
  const form = el("form", { class: "tryit-text-form" });
  const seed = el("input", { type: "number", id: "tryit-seed-a", min: "0", value: "1" });
  const to = el("input", { type: "number", id: "tryit-seed-b", min: "0", value: "2" });
  const n = el("input", { type: "number", id: "tryit-n", min: "1", max: String(info.max_samples), value: String(info.samples) });
  const steps = el("input", { type: "number", id: "tryit-walk-steps", min: "2", max: String(info.max_walk_steps), value: String(info.walk_steps) });
  const label = info.conditional ? el("select", { id: "tryit-label" }, el("option", { value: "", text: "every class in turn" }), ...info.class_names.map((c, i) => el("option", { value: String(i), text: c }))) : null;
  const sample = el("button", { type: "submit", class: "button button-primary", text: "New samples" });
  const walk = el("button", { type: "button", class: "button", id: "tryit-walk", text: "Walk from seed to second seed" });
  form.append(
    el("div", { class: "tryit-fields" },
      el("label", { for: "tryit-seed-a", class: "tryit-field" }, el("span", { text: "Seed" }), seed),
      el("label", { for: "tryit-n", class: "tryit-field" }, el("span", { text: "Samples" }), n),
      label && el("label", { for: "tryit-label", class: "tryit-field" }, el("span", { text: "Class" }), label),
      el("label", { for: "tryit-seed-b", class: "tryit-field" }, el("span", { text: "Second seed" }), to),
      el("label", { for: "tryit-walk-steps", class: "tryit-field" }, el("span", { text: "Steps of the walk" }), steps)),
    el("p", {}, sample, " ", walk),
  );
  const inputs = (withWalk) => ({
    seed: Number(seed.value),
    n: Number(n.value),
    ...(label && label.value !== "" ? { label: Number(label.value) } : {}),
    ...(withWalk ? { to_seed: Number(to.value), steps: Number(steps.value) } : {}),
  });
  const render = (result) => {
    if (info.images) {
      show(
        figure(`${result.n} samples from seed ${result.seed}`, picture(result.samples_image, "Generated samples", "tryit-picture tryit-grid")),
        result.walk_image && figure(`A walk in ${result.walk_steps} steps from the seed's first sample to the second seed's`, picture(result.walk_image, "A walk between two seeds", "tryit-picture tryit-grid")),
      );
      return;
    }
    const chart = el("div", { class: "tryit-chart", id: "tryit-samples-chart" });
    show(verdict(`${result.n} points from seed ${result.seed}`), chart);
    const traces = [
      { type: "scatter", mode: "markers", name: "real points", x: info.real.map((p) => p[0]), y: info.real.map((p) => p[1]), marker: { size: 4, color: "#cbd5e1" } },
      { type: "scatter", mode: "markers", name: "generated", x: result.samples.map((p) => p[0]), y: result.samples.map((p) => p[1]), marker: { size: 6, color: "#4f46e5" } },
    ];
    if (result.walk) traces.push({ type: "scatter", mode: "lines+markers", name: "walk", x: result.walk.map((p) => p[0]), y: result.walk.map((p) => p[1]), line: { color: "#ea580c" }, marker: { size: 7 } });
    plot(chart, traces, { xaxis: { range: info.x_range }, yaxis: { range: info.y_range, scaleanchor: "x" } });
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    tryInputs(inputs(false), render);
  });
  walk.addEventListener("click", () => tryInputs(inputs(true), render));
  return form;
}


// ---------------------------------------------------------------- a scene of shapes (segmentation, detection)

// Shapes are stamped as the built-in scenes draw them (data/builtin_scenes.py): a disc of radius r, a
// square of half-side 0.85 r, a triangle with its apex up; r is a share of the picture's side.
function stampShape(ctx, kind, x, y, r, colour) {
  ctx.fillStyle = colour;
  ctx.beginPath();
  if (kind === "circle") ctx.arc(x, y, r, 0, 2 * Math.PI);
  else if (kind === "square") ctx.rect(x - 0.85 * r, y - 0.85 * r, 1.7 * r, 1.7 * r);
  else {
    ctx.moveTo(x, y - r);
    ctx.lineTo(x + r, y + 0.8 * r);
    ctx.lineTo(x - r, y + 0.8 * r);
    ctx.closePath();
  }
  ctx.fill();
}

function randomColour(dark) {
  const channel = () => Math.round(255 * (0.55 + 0.45 * Math.random()));
  const rgb = [channel(), channel(), channel()].map((v) => (dark ? v : 255 - v));
  return `rgb(${rgb.join(",")})`;
}

// ---------------------------------------------------------------- a stick figure (pose estimation)

// The built-in figures' skeleton (data/builtin_pose.py): its joints by name, its bones, and which bones
// move along when a joint is dragged (the neck carries the whole figure, an elbow its hand, a hip its leg).
const FIGURE_JOINTS = ["head", "neck", "left shoulder", "right shoulder", "left elbow", "right elbow", "left hand", "right hand", "left hip", "right hip", "left knee", "right knee", "left foot", "right foot"];
const FIGURE_BONES = [["head", "neck"], ["neck", "left shoulder"], ["neck", "right shoulder"], ["left shoulder", "left elbow"], ["left elbow", "left hand"], ["right shoulder", "right elbow"], ["right elbow", "right hand"], ["left hip", "right hip"], ["left hip", "left knee"], ["left knee", "left foot"], ["right hip", "right knee"], ["right knee", "right foot"]];
const FIGURE_CARRIES = {
  neck: FIGURE_JOINTS.filter((j) => j !== "neck"),
  "left shoulder": ["left elbow", "left hand"],
  "right shoulder": ["right elbow", "right hand"],
  "left elbow": ["left hand"],
  "right elbow": ["right hand"],
  "left hip": ["left knee", "left foot"],
  "right hip": ["right knee", "right foot"],
  "left knee": ["left foot"],
  "right knee": ["right foot"],
};

// a pose as the built-in figures are generated: a random lean, size and pose, facing the viewer, so its
// left side is on the picture's right; {joint name: [x, y]} in the canvas's pixels, all inside it.
// random = false: standing straight, arms a little out, in the middle.
function figurePose(size, random = true) {
  const u = (lo, hi) => (random ? lo + (hi - lo) * Math.random() : (lo + hi) / 2);
  const h = size * u(0.55, 0.85);
  const lean = random ? ((Math.random() - 0.5) * Math.PI) / 3 : 0;
  const up = [Math.sin(lean), -Math.cos(lean)];
  const side = [-up[1], up[0]];
  const at = (p, d, len) => [p[0] + d[0] * len, p[1] + d[1] * len];
  const towards = (a) => [-up[0] * Math.cos(a) + side[0] * Math.sin(a), -up[1] * Math.cos(a) + side[1] * Math.sin(a)];
  const hips = [0, 0];
  const pose = { neck: at(hips, up, 0.36 * h) };
  pose.head = at(pose.neck, up, 0.13 * h);
  for (const [name, s] of [["left", 1], ["right", -1]]) {
    const shoulder = at(pose.neck, side, s * 0.11 * h);
    const upper = s * (random ? u(0.1, 2.6) : 0.5);
    const lower = upper + s * (random ? u(-1.4, 1.4) : 0);
    const elbow = at(shoulder, towards(upper), 0.16 * h);
    const hip = at(hips, side, s * 0.08 * h);
    const thigh = s * (random ? u(-0.35, 1.0) : 0.1);
    const shin = thigh + s * (random ? u(-0.9, 0.2) : -0.1);
    const knee = at(hip, towards(thigh), 0.24 * h);
    Object.assign(pose, {
      [`${name} shoulder`]: shoulder,
      [`${name} elbow`]: elbow,
      [`${name} hand`]: at(elbow, towards(lower), 0.15 * h),
      [`${name} hip`]: hip,
      [`${name} knee`]: knee,
      [`${name} foot`]: at(knee, towards(shin), 0.24 * h),
    });
  }
  // its middle a little about the canvas's, and every joint inside the canvas (so each can be dragged)
  const xs = Object.values(pose).map((p) => p[0]);
  const ys = Object.values(pose).map((p) => p[1]);
  const shift = [size * u(0.42, 0.58) - (Math.min(...xs) + Math.max(...xs)) / 2, size * u(0.42, 0.58) - (Math.min(...ys) + Math.max(...ys)) / 2];
  const margin = size / 40;
  const inside = (v) => Math.max(margin, Math.min(size - margin, v));
  for (const j of FIGURE_JOINTS) pose[j] = [inside(pose[j][0] + shift[0]), inside(pose[j][1] + shift[1])];
  return pose;
}

// a figure drawn as the built-in ones are: limbs size/24 thick, its left limbs in the first of
// info.colours, its right limbs in the second, its head (a disc), neck, torso and hips in the third
function drawFigure(ctx, pose, size) {
  const [leftColour, rightColour, body] = info.colours;
  ctx.lineWidth = size / 24;
  ctx.lineCap = "round";
  const line = (a, b, colour) => {
    ctx.strokeStyle = colour;
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  };
  const hips = [(pose["left hip"][0] + pose["right hip"][0]) / 2, (pose["left hip"][1] + pose["right hip"][1]) / 2];
  line(pose.neck, hips, body);
  for (const [a, b] of FIGURE_BONES) line(pose[a], pose[b], b.startsWith("left") ? leftColour : b.startsWith("right") ? rightColour : body);
  ctx.fillStyle = body;
  ctx.beginPath();
  ctx.arc(pose.head[0], pose.head[1], size / 16, 0, 2 * Math.PI);
  ctx.fill();
}

function sceneInput(renderResult) {
  const size = 280;
  const canvas = el("canvas", { width: size, height: size, class: "tryit-canvas", id: "tryit-canvas", tabindex: "0", "aria-label": `Scene: click or tap to place the chosen shape, or press Enter to place one in the middle; it is read at ${info.side} × ${info.side} pixels` });
  const ctx = canvas.getContext("2d");
  const dark = info.dark_background;
  const shapes = info.shapes?.length ? info.shapes : [];
  let background = dark ? "#202020" : "#e8e8e8";
  const clear = () => {
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, size, size);
  };
  clear();
  const send = () => tryInputs({ image: canvas.toDataURL("image/png") }, renderResult);
  const kindSelect = el("select", { id: "tryit-shape" }, ...[...shapes, "brush"].map((k) => el("option", { value: k, text: k === "brush" ? "free brush" : k })));
  const sizeInput = el("input", { type: "range", id: "tryit-size", min: "0.08", max: "0.3", step: "0.01", value: "0.17" });
  const colourInput = el("input", { type: "color", id: "tryit-colour", value: dark ? "#f0c040" : "#3050a0" });
  const radius = () => Number(sizeInput.value) * size;
  const place = (x, y) => {
    stampShape(ctx, kindSelect.value, x, y, radius(), colourInput.value);
    colourInput.value = "#" + randomColour(dark).match(/\d+/g).map((v) => Number(v).toString(16).padStart(2, "0")).join("");
    send();
  };
  const at = (event) => canvasPoint(canvas, event);
  let brushing = false;
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    const [x, y] = at(event);
    if (kindSelect.value !== "brush") {
      place(x, y);
      return;
    }
    canvas.setPointerCapture(event.pointerId);
    brushing = true;
    stampShape(ctx, "circle", x, y, radius() / 3, colourInput.value);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!brushing) return;
    const [x, y] = at(event);
    stampShape(ctx, "circle", x, y, radius() / 3, colourInput.value);
  });
  const endBrush = () => {
    if (!brushing) return;
    brushing = false;
    send();
  };
  canvas.addEventListener("pointerup", endBrush);
  canvas.addEventListener("pointercancel", endBrush);
  canvas.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      place(size / 2, size / 2);
    }
  });
  const randomButton = el("button", { type: "button", class: "button", id: "tryit-random", text: "Random scene" });
  randomButton.addEventListener("click", () => {
    const bright = Math.random() < 0.3;
    background = bright ? "#e0e0e0" : `rgb(${[0, 0, 0].map(() => Math.round(115 * Math.random())).join(",")})`;
    clear();
    const count = 1 + Math.floor(Math.random() * 3);
    for (let i = 0; i < count && shapes.length; i++) {
      const r = size * (0.1 + 0.12 * Math.random());
      const kind = shapes[Math.floor(Math.random() * shapes.length)];
      stampShape(ctx, kind, r + Math.random() * (size - 2 * r), r + Math.random() * (size - 2 * r), r, randomColour(!bright));
    }
    send();
  });
  const clearButton = el("button", { type: "button", class: "button", id: "tryit-clear", text: "Clear" });
  clearButton.addEventListener("click", () => {
    background = dark ? "#202020" : "#e8e8e8";
    clear();
    resultBox.replaceChildren();
    showError("");
  });
  const file = uploadInput((img) => ctx.drawImage(img, 0, 0, size, size), renderResult); // shapes placed next go on top of it
  const what = shapes.length ? `Place ${shapes.join(", ")} shapes` : "Paint with the brush";
  return canvasPanel(
    canvas,
    el("p", { class: "muted", text: `${what} on the canvas, or start from a random scene; the model reads it at ${info.side} × ${info.side} pixels after each change.` }),
    el("div", { class: "tryit-fields tryit-scene-tools" },
      el("label", { class: "tryit-field", for: "tryit-shape" }, el("span", { text: "Shape" }), kindSelect),
      el("label", { class: "tryit-field", for: "tryit-size" }, el("span", { text: "Size" }), sizeInput),
      el("label", { class: "tryit-field", for: "tryit-colour" }, el("span", { text: "Colour" }), colourInput),
    ),
    el("div", { class: "tryit-buttons" }, randomButton, clearButton),
    el("label", { class: "tryit-file", for: "tryit-file" }, "Or upload a picture: ", file),
  );
}

// A pose estimator's canvas. "Drag the joints": a stick figure drawn as the built-in ones are, its joints
// dragged with a mouse, a pen or a finger, or picked (the list, or [ and ]) and moved with the arrow keys;
// "Paint": a free brush over it. What the model reads is the picture alone (the background, the figure,
// the paint); the joints' handles are drawn only on the canvas shown. Every change is sent.
function figureInput(renderResult) {
  const size = 280;
  const posable = FIGURE_JOINTS.every((j) => info.class_names.includes(j));
  // role "application": a screen reader in browse mode hands the arrow keys to the canvas
  const canvas = el("canvas", { width: size, height: size, class: "tryit-canvas", id: "tryit-canvas", tabindex: "0", role: "application", "aria-describedby": "tryit-joint-status" });
  const ctx = canvas.getContext("2d");
  const layer = () => Object.assign(document.createElement("canvas"), { width: size, height: size });
  const picture = layer(); // what is sent: base, figure, paint
  const base = layer(); // the background, or an uploaded picture
  const paint = layer(); // the brush's strokes, transparent elsewhere
  const fillBase = (colour) => {
    const b = base.getContext("2d");
    b.fillStyle = colour;
    b.fillRect(0, 0, size, size);
  };
  let pose = posable ? figurePose(size, false) : null;
  let mode = posable ? "drag" : "paint";
  let selected = "left hand";
  fillBase(info.dark_background ? "#202020" : "#e8e8e8");

  const status = el("p", { class: "tryit-joint-status", id: "tryit-joint-status", "aria-live": "polite" });
  const where = (p) => `${Math.round((100 * p[0]) / size)} % across, ${Math.round((100 * p[1]) / size)} % down`;
  const say = () => {
    if (mode !== "drag") status.textContent = "Painting: the brush draws where you press and drag.";
    else if (!pose) status.textContent = "No figure to pose: press Random figure or Standing figure.";
    else status.textContent = `Selected joint: ${selected}, ${where(pose[selected])}.`;
  };
  const redraw = () => {
    const p = picture.getContext("2d");
    p.drawImage(base, 0, 0);
    if (pose) drawFigure(p, pose, size);
    p.drawImage(paint, 0, 0);
    ctx.drawImage(picture, 0, 0);
    if (pose) canvas.dataset.joints = JSON.stringify(Object.fromEntries(FIGURE_JOINTS.map((j) => [j, pose[j].map((v) => Math.round(v * 10) / 10)])));
    else delete canvas.dataset.joints;
    if (mode !== "drag" || !pose) return;
    for (const j of FIGURE_JOINTS) {
      const [x, y] = pose[j];
      const chosen = j === selected;
      ctx.beginPath();
      ctx.arc(x, y, chosen ? 9 : 5, 0, 2 * Math.PI);
      ctx.fillStyle = chosen ? "rgba(255, 255, 0, 0.35)" : "rgba(255, 255, 255, 0.25)";
      ctx.fill();
      ctx.lineWidth = chosen ? 3 : 1.5;
      ctx.strokeStyle = chosen ? "#ffeb3b" : "#ffffff";
      ctx.stroke();
      ctx.lineWidth = 1;
      ctx.strokeStyle = "#000000";
      ctx.beginPath();
      ctx.arc(x, y, (chosen ? 9 : 5) + 2, 0, 2 * Math.PI);
      ctx.stroke();
    }
  };
  const send = () => tryInputs({ image: picture.toDataURL("image/png") }, renderResult);
  const sendSoon = debounce(send, 120);

  // a joint moves, and the joints it carries with it; none leaves the canvas
  const move = (joint, dx, dy) => {
    const moved = [joint, ...(FIGURE_CARRIES[joint] || [])];
    const inside = (v, d) => Math.max(0, Math.min(size, v + d));
    for (const j of moved) {
      dx = inside(pose[j][0], dx) - pose[j][0];
      dy = inside(pose[j][1], dy) - pose[j][1];
    }
    for (const j of moved) pose[j] = [pose[j][0] + dx, pose[j][1] + dy];
  };
  const select = (joint) => {
    selected = joint;
    jointSelect.value = joint;
    redraw();
    say();
  };

  let dragging = null; // the joint held, or "paint" while the brush is down
  let last = null;
  const brushWidth = () => Number(widthInput.value);
  const stroke = (a, b) => {
    const c = paint.getContext("2d");
    c.strokeStyle = colourInput.value;
    c.lineWidth = brushWidth();
    c.lineCap = "round";
    c.lineJoin = "round";
    c.beginPath();
    c.moveTo(a[0], a[1]);
    c.lineTo(b[0], b[1]);
    c.stroke();
  };
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.focus({ preventScroll: true });
    const point = canvasPoint(canvas, event);
    if (mode === "paint") {
      dragging = "paint";
      stroke(point, point);
    } else {
      if (!pose) return;
      // the nearest joint within reach: a finger gets more room than a mouse
      const reach = ((event.pointerType === "touch" ? 26 : 16) * size) / canvas.getBoundingClientRect().width;
      const near = FIGURE_JOINTS.map((j) => [Math.hypot(pose[j][0] - point[0], pose[j][1] - point[1]), j]).sort((a, b) => a[0] - b[0])[0];
      if (near[0] > reach) return;
      dragging = near[1];
      select(dragging);
    }
    canvas.setPointerCapture(event.pointerId);
    last = point;
    redraw();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!dragging) return;
    const point = canvasPoint(canvas, event);
    if (dragging === "paint") stroke(last, point);
    else move(dragging, point[0] - last[0], point[1] - last[1]);
    last = point;
    redraw();
    sendSoon();
  });
  const end = () => {
    if (!dragging) return;
    const was = dragging;
    dragging = null;
    if (was !== "paint") say();
    send();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("keydown", (event) => {
    if (mode !== "drag" || !pose) return;
    const step = event.shiftKey ? 16 : 4;
    const arrows = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (arrows[event.key]) {
      event.preventDefault();
      move(selected, ...arrows[event.key]);
      redraw();
      say();
      sendSoon();
    } else if (event.key === "]" || event.key === "[") {
      event.preventDefault();
      const k = FIGURE_JOINTS.indexOf(selected) + (event.key === "]" ? 1 : -1);
      select(FIGURE_JOINTS[(k + FIGURE_JOINTS.length) % FIGURE_JOINTS.length]);
    }
  });

  // the controls: the mode, the joint picked (drag) or the brush (paint), the figure's buttons
  const modeRadio = (value, text) => {
    const input = el("input", { type: "radio", name: "tryit-mode", id: `tryit-mode-${value}`, value, checked: value === mode });
    input.addEventListener("change", () => {
      mode = value;
      dragTools.hidden = mode !== "drag";
      paintTools.hidden = mode !== "paint";
      keys.hidden = mode !== "drag";
      canvas.classList.toggle("tryit-canvas-drag", mode === "drag");
      redraw();
      say();
    });
    return el("label", { class: "tryit-mode", for: `tryit-mode-${value}` }, input, el("span", { text }));
  };
  const jointSelect = el("select", { id: "tryit-joint" }, ...FIGURE_JOINTS.map((j) => el("option", { value: j, text: j })));
  jointSelect.value = selected;
  jointSelect.addEventListener("change", () => select(jointSelect.value));
  const dragTools = el("div", { class: "tryit-fields tryit-scene-tools", hidden: mode !== "drag" },
    el("label", { class: "tryit-field", for: "tryit-joint" }, el("span", { text: "Selected joint" }), jointSelect));
  const widthInput = el("input", { type: "range", id: "tryit-size", min: "3", max: "40", step: "1", value: String(Math.round(size / 24)) });
  const swatches = el("datalist", { id: "tryit-colours" }, ...info.colours.map((c) => el("option", { value: c })));
  const colourInput = el("input", { type: "color", id: "tryit-colour", list: "tryit-colours", value: info.colours[0] });
  const paintTools = el("div", { class: "tryit-fields tryit-scene-tools", hidden: mode !== "paint" },
    el("label", { class: "tryit-field", for: "tryit-size" }, el("span", { text: "Brush width" }), widthInput),
    el("label", { class: "tryit-field", for: "tryit-colour" }, el("span", { text: "Colour" }), colourInput, swatches));
  canvas.classList.toggle("tryit-canvas-drag", mode === "drag");

  const button = (id, text, action) => {
    const b = el("button", { type: "button", class: "button", id, text });
    b.addEventListener("click", action);
    return b;
  };
  const restart = (newPose, background) => {
    paint.getContext("2d").clearRect(0, 0, size, size);
    if (background) fillBase(background);
    pose = newPose;
    redraw();
    say();
  };
  const randomButton = button("tryit-random", "Random figure", () => {
    restart(posable ? figurePose(size) : null, `rgb(${[0, 0, 0].map(() => Math.round(100 * Math.random())).join(",")})`);
    if (!posable) drawFigure(picture.getContext("2d"), figurePose(size), size);
    send();
  });
  const standButton = !posable ? null : button("tryit-stand", "Standing figure", () => {
    restart(figurePose(size, false));
    send();
  });
  const clearButton = button("tryit-clear", "Clear", () => {
    restart(null, info.dark_background ? "#202020" : "#e8e8e8");
    resultBox.replaceChildren();
    showError("");
  });
  const file = uploadInput((img) => {
    base.getContext("2d").drawImage(img, 0, 0, size, size);
    restart(null);
  }, renderResult);

  const [leftColour, rightColour] = info.colours;
  const how = el("p", { class: "muted" }, `Drag a joint to pose the figure, or switch to Paint and draw one yourself: its left limbs `, el("span", { class: "tryit-swatch", style: `background:${leftColour}` }), " red, its right limbs ", el("span", { class: "tryit-swatch", style: `background:${rightColour}` }), ` blue, as in the figures it learned from (facing you, its left is on your right). The model reads the picture at ${info.side} × ${info.side} pixels after each change.`);
  const keys = el("p", { class: "muted tryit-keys" }, "Keyboard: ", el("kbd", { text: "Tab" }), " to the canvas; the arrow keys move the selected joint (with ", el("kbd", { text: "Shift" }), ", further); ", el("kbd", { text: "[" }), " and ", el("kbd", { text: "]" }), " pick another.");
  canvas.setAttribute("aria-label", posable ? "Stick figure: drag a joint, or use the arrow keys to move the selected joint" : "Drawing area: paint a stick figure");
  redraw();
  say();
  if (pose) setTimeout(send, 0);
  return canvasPanel(
    canvas,
    how,
    !posable ? null : el("fieldset", { class: "tryit-modes" }, el("legend", { class: "visually-hidden", text: "What the pointer does on the canvas" }), modeRadio("drag", "Drag the joints"), modeRadio("paint", "Paint")),
    dragTools,
    paintTools,
    posable ? keys : null,
    status,
    el("div", { class: "tryit-buttons" }, randomButton, standButton, clearButton),
    el("label", { class: "tryit-file", for: "tryit-file" }, "Or upload a picture: ", file),
  );
}

function renderMask(result) {
  const legend = el("ul", { class: "tryit-legend", id: "tryit-legend" });
  for (const c of result.classes) {
    legend.append(el("li", {}, el("span", { class: "tryit-swatch", style: `background:${c.colour}` }), el("span", { text: `${c.class}: ${(100 * c.share).toFixed(1)} % of the pixels` })));
  }
  const found = result.classes.filter((c) => c.index > 0).map((c) => c.class);
  show(
    verdict(found.length ? `The model finds: ${found.join(", ")}` : `The model calls every pixel ${result.classes[0]?.class ?? "one class"}`),
    el(
      "div",
      { class: "tryit-maps" },
      figure("What the model reads", picture(result.input_image, "Your scene, as the model reads it", "tryit-picture tryit-large")),
      figure("Its mask (each class tinted)", picture(result.mask_image, "The predicted mask over your scene", "tryit-picture tryit-large")),
      figure(`How sure it is, pixel by pixel (white: sure; mean ${(100 * result.mean_confidence).toFixed(0)} %)`, picture(result.confidence_image, "The model's confidence per pixel", "tryit-picture tryit-large")),
    ),
    legend,
  );
}

// a detector's answer: its boxes over the picture, those from the score slider's value up
let boxScore = null;
function renderBoxes(result) {
  boxScore ??= info.score ?? 0.3;
  const size = 288;
  const canvas = el("canvas", { width: size, height: size, class: "tryit-picture tryit-large tryit-boxes", id: "tryit-boxes", role: "img" });
  const list = el("ul", { class: "tryit-legend", id: "tryit-found" });
  const slider = el("input", { type: "range", id: "tryit-score", min: "0.1", max: "0.95", step: "0.05", value: String(boxScore) });
  const sliderLabel = el("span");
  const head = verdict("");
  const image = new Image();
  const draw = () => {
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(image, 0, 0, size, size);
    const k = size / result.side;
    const shown = result.boxes.filter((b) => b.score >= boxScore);
    ctx.lineWidth = 2;
    ctx.font = "bold 12px sans-serif";
    for (const b of shown) {
      const colour = info.colours[b.index % info.colours.length];
      const [x0, y0, x1, y1] = b.box.map((v) => v * k);
      ctx.strokeStyle = colour;
      ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      const label = `${b.class} ${b.score.toFixed(2)}`;
      ctx.fillStyle = colour;
      ctx.fillRect(x0, Math.max(0, y0 - 15), ctx.measureText(label).width + 6, 15);
      ctx.fillStyle = "#fff";
      ctx.fillText(label, x0 + 3, Math.max(11, y0 - 3));
    }
    canvas.setAttribute("aria-label", shown.length ? `Boxes found: ${shown.map((b) => `${b.class} (score ${b.score.toFixed(2)})`).join(", ")}` : "No box at this score");
    head.textContent = shown.length ? `The model finds ${shown.length} object${shown.length > 1 ? "s" : ""}` : "The model finds nothing this sure";
    sliderLabel.textContent = `Show boxes with a score of at least ${boxScore.toFixed(2)}`;
    list.replaceChildren(...shown.map((b) => el("li", {}, el("span", { class: "tryit-swatch", style: `background:${info.colours[b.index % info.colours.length]}` }), el("span", { text: `${b.class}: score ${b.score.toFixed(2)}` }))));
  };
  slider.addEventListener("input", () => {
    boxScore = Number(slider.value);
    draw();
  });
  image.onload = draw;
  image.src = result.input_image;
  show(head, el("div", { class: "tryit-maps" }, figure("The boxes it finds on what it reads", canvas)), el("label", { class: "tryit-field tryit-score", for: "tryit-score" }, sliderLabel, slider), list);
}

function renderSkeleton(result) {
  const list = el("ul", { class: "tryit-legend", id: "tryit-joints" });
  for (const j of result.joints) {
    list.append(el("li", { class: j.shown ? "" : "muted" }, el("span", { text: `${j.joint}: ${(100 * j.confidence).toFixed(0)} % sure${j.shown ? "" : " (not drawn)"}` })));
  }
  const drawn = result.joints.filter((j) => j.shown).length;
  show(
    verdict(`The model finds ${drawn} of ${result.joints.length} joints above ${(100 * result.threshold).toFixed(0)} % confidence`),
    el(
      "div",
      { class: "tryit-maps" },
      figure("What the model reads", picture(result.input_image, "Your figure, as the model reads it", "tryit-picture tryit-large")),
      figure("The skeleton it finds (left red, right blue)", picture(result.skeleton_image, "The skeleton the model finds over your figure", "tryit-picture tryit-large")),
      figure("Its heatmaps, all joints together", picture(result.heatmap_image, "The model's heatmaps, each scaled to its own peak", "tryit-picture tryit-large")),
    ),
    list,
  );
}

// ---------------------------------------------------------------- a tree net: a review read phrase by phrase

function reviewInput() {
  const form = el("form", { class: "tryit-text-form" });
  const text = el("textarea", { id: "tryit-review", rows: "2", maxlength: String(info.limits.max_text_chars) });
  text.value = info.examples[0] || "";
  const examples = el("select", { id: "tryit-examples" },
    ...info.examples.map((e, i) => el("option", { value: String(i), text: e.length > 70 ? `${e.slice(0, 67)}...` : e })));
  examples.addEventListener("change", () => { text.value = info.examples[Number(examples.value)]; });
  const words = info.grammar
    ? "A review in the words it learnt, like “the plot was not very good but the music is superb” (or a tree in brackets)"
    : "A tree in brackets, one label per node, like (3 (2 the) (3 good))";
  form.append(
    el("label", { for: "tryit-review" }, words),
    text,
    el("label", { for: "tryit-examples", class: "tryit-field" }, el("span", { text: "Or start from a test sentence" }), examples),
    el("button", { type: "submit", class: "button button-primary", text: "Read it" }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    tryInputs({ text: text.value }, renderTree);
  });
  return form;
}

function renderTree(result) {
  const chart = el("div", { class: "tryit-chart tryit-tree", id: "tryit-tree", role: "img", "aria-label": `The review's tree: ${result.nodes} words and phrases, each coloured by the sentiment the network reads` });
  const agreed = result.labelled ? ` It agrees with ${result.right} of the ${result.nodes} labels of your tree.` : "";
  show(verdict(`The whole review reads as ${result.root.class}.${agreed}`), chart, bars(result.root.probabilities, "The whole review's sentiment"));
  const height = Math.max(260, 70 * (result.height + 2));
  const draw = () => plot(chart, result.figure.data, { ...result.figure.layout, height }) || setTimeout(draw, 200);
  draw();
}

// ---------------------------------------------------------------- an encoder-decoder: one input, its answer

function translateInput() {
  const form = el("form", { class: "tryit-text-form" });
  const text = el("input", { type: "text", id: "tryit-source", maxlength: String(info.longest), autocomplete: "off", spellcheck: "false", class: "tryit-line" });
  text.value = info.examples[0] || "";
  const examples = el("select", { id: "tryit-examples" },
    ...info.examples.map((e, i) => el("option", { value: String(i), text: `${e}  →  ${info.answers[i]}` })));
  examples.addEventListener("change", () => { text.value = info.examples[Number(examples.value)]; });
  form.append(
    el("label", { for: "tryit-source" }, `An input like the ones it learnt (up to ${info.longest} characters)`),
    text,
    el("label", { for: "tryit-examples", class: "tryit-field" }, el("span", { text: "Or start from a test input (with its right answer)" }), examples),
    el("p", { class: "muted tryit-known", text: `Characters it knows: ${info.characters}` }),
    el("button", { type: "submit", class: "button button-primary", text: "Translate" }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    tryInputs({ text: text.value }, renderTranslation);
  });
  return form;
}

function renderTranslation(result) {
  const letters = el("p", { class: "tryit-answer", id: "tryit-answer", "aria-label": `The answer: ${result.answer}` },
    ...result.characters.map((c) => el("span", {
      class: "tryit-char", title: `${(100 * c.p).toFixed(1)} % sure`,
      style: `background: rgba(31, 119, 180, ${(0.15 + 0.85 * c.p).toFixed(2)}); color: ${c.p > 0.55 ? "#fff" : "inherit"}`,
      text: c.char === " " ? "\u00a0" : c.char,
    })));
  const end = result.finished
    ? `It ended the answer there, ${(100 * result.end_p).toFixed(0)} % sure. Each box is one character it wrote, darker where it was surer (hover for the figure).`
    : "It never wrote the end mark: the answer was cut at the length limit. Inputs far from the ones it learnt often do this.";
  const nodes = [verdict(`“${result.text}” → “${result.answer}”`), letters, el("p", { class: "muted", text: end })];
  if (result.figure) {
    const chart = el("div", { class: "tryit-chart tryit-attention", id: "tryit-attention", role: "img", "aria-label": "Attention of each answer character over your input" });
    nodes.push(chart);
    show(...nodes);
    const height = result.figure.layout.height || Math.max(260, 26 * (result.characters.length + 1) + 120);
    const draw = () => plot(chart, result.figure.data, { ...result.figure.layout, height }) || setTimeout(draw, 200);
    draw();
  } else {
    nodes.push(el("p", { class: "muted", text: "This run has attention off: the decoder read one fixed summary of your input, so there is no map of where it looked." }));
    show(...nodes);
  }
}

// ---------------------------------------------------------------- a text classifier: a typed text labelled

function labelTextInput() {
  const form = el("form", { class: "tryit-text-form" });
  const text = el("textarea", { id: "tryit-label-text", rows: "2", maxlength: String(info.limits.max_text_chars) });
  text.value = info.examples[0] || "";
  form.append(
    el("label", { for: "tryit-label-text" }, `A text to label as one of: ${info.class_names.slice(0, 12).join(", ")}`),
    text,
    el("button", { type: "submit", class: "button button-primary", text: "Label it" }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    tryInputs({ text: text.value }, (result) => {
      const chart = el("div", { class: "tryit-chart", id: "tryit-attention", role: "img", "aria-label": `Attention of ${result.layers} layers of ${result.heads} heads` });
      const unknown = result.unknown.length ? ` Words it never saw (read as unknown): ${result.unknown.slice(0, 8).join(", ")}.` : "";
      show(verdict(`It reads as ${result.class}.${unknown}`), bars(result.probabilities, "Label probabilities"), chart);
      const draw = () => plot(chart, result.figure.data, result.figure.layout) || setTimeout(draw, 200);
      draw();
    });
  });
  return form;
}

// ---------------------------------------------------------------- a self-organising map: a row's cell

// the row's fields, and for colour data a colour picker that fills them
function cellInput() {
  const form = rowInput(renderCell);
  if (info.colours && info.columns.length === 3) {
    const hex = (v) => Math.round(Math.min(1, Math.max(0, Number(v) || 0)) * 255).toString(16).padStart(2, "0");
    const picker = el("input", { type: "color", id: "tryit-colour", value: `#${info.columns.map((c) => hex(info.example[c])).join("")}` });
    picker.addEventListener("input", () => {
      const inputs = form.querySelectorAll(".tryit-fields input");
      [1, 3, 5].forEach((at, i) => { inputs[i].value = (parseInt(picker.value.slice(at, at + 2), 16) / 255).toFixed(3); });
    });
    form.prepend(el("label", { for: "tryit-colour", class: "tryit-field" }, el("span", { text: "Pick a colour" }), picker));
  }
  form.querySelector("button").textContent = "Find its cell";
  return form;
}

function renderCell(result) {
  const chart = el("div", { class: "tryit-chart tryit-map", id: "tryit-map", role: "img", "aria-label": `The map: your row's best-matching unit is ringed, at row ${result.cell.row + 1}, column ${result.cell.column + 1}` });
  const label = result.label ? ` Its training rows are mostly ${result.label}.` : "";
  const where = result.neighbours ? "" : " Its second-nearest unit is not beside it on the grid: the row sits where the map folds.";
  show(
    verdict(`It lands in the cell at row ${result.cell.row + 1}, column ${result.cell.column + 1}, ${numberText(result.distance)} from that unit's prototype.${label}`),
    chart,
    el("p", { class: "muted", id: "tryit-prototype", text: `The unit's prototype: ${Object.entries(result.prototype).map(([k, v]) => `${k} ${numberText(v)}`).join(", ")}.${where}` }),
  );
  const cells = info.cells;
  const xs = cells.map((c) => c[0]);
  const ys = cells.map((c) => c[1]);
  const span = Math.max(Math.max(...xs), Math.max(...ys)) + 1.4;
  const size = Math.max(3, (Math.min(chart.clientWidth || 300, 420) - 20) / span * 0.9);
  const symbol = info.grid.topology === "hexagonal" ? "hexagon" : "square";
  const colour = info.colours || info.majority.map((k) => (k >= 0 ? COLORS[k % COLORS.length] : "#e5e7eb"));
  const traces = [
    { type: "scatter", mode: "markers", name: "units", x: xs, y: ys, showlegend: false, hoverinfo: "skip", marker: { symbol, size, color: colour, line: { width: 0 } } },
    { type: "scatter", mode: "markers", name: "your row's unit", x: [result.position[0]], y: [result.position[1]], marker: { symbol, size: size + 4, color: result.colour || "rgba(0,0,0,0)", line: { width: 3, color: "#111827" } } },
  ];
  const layout = {
    height: 340,
    margin: { l: 10, r: 10, t: 30, b: 10 },
    xaxis: { visible: false, range: [Math.min(...xs) - 0.8, Math.max(...xs) + 0.8] },
    yaxis: { visible: false, range: [Math.max(...ys) + 0.8, Math.min(...ys) - 0.8], scaleanchor: "x" },
    dragmode: false,
    hovermode: false,
  };
  const draw = () => plot(chart, traces, layout) || setTimeout(draw, 200);
  draw();
}

const BUILDERS = {
  point: () => pointInput(),
  row: () => (info.architecture === "som" ? cellInput() : rowInput(info.architecture === "autoencoder" ? renderAnomaly : renderClasses)),
  image: () => imageInput(info.architecture === "autoencoder" ? renderAnomaly : info.answer === "gibbs" ? renderGibbs : renderClasses),
  text: () => textInput(),
  series: () => (info.architecture === "autoencoder" ? rowlessSeries() : seriesInput()),
  latent: () => latentInput(),
  seed: () => seedInput(),
  scene: () => sceneInput(info.answer === "boxes" ? renderBoxes : renderMask),
  figure: () => figureInput(renderSkeleton),
  review: () => reviewInput(),
  translate: () => translateInput(),
  label_text: () => labelTextInput(),
};

// an autoencoder's window of a series: paste exactly one window, get its reconstruction and score
function rowlessSeries() {
  const form = el("form", { class: "tryit-text-form" });
  const values = el("textarea", { id: "tryit-series", rows: "4" });
  values.value = info.example.join(", ");
  form.append(el("label", { for: "tryit-series" }, `A window of exactly ${info.window} values`), values, el("button", { type: "submit", class: "button button-primary", text: "Score it" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    tryInputs({ series: values.value }, renderAnomaly);
  });
  return form;
}

async function open() {
  if (info) return;
  panel.hidden = false;
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
      body.replaceChildren(el("p", { class: "muted", text: await problem(response) }));
      return;
    }
    info = await response.json();
  } catch {
    body.replaceChildren(el("p", { class: "muted", text: "The trained model could not be loaded; reload the page to try again." }));
    return;
  }
  const build = BUILDERS[info.input];
  body.replaceChildren(build ? build() : el("p", { class: "muted", text: "This model cannot be tried here yet." }));
  panel.dataset.ready = info.input;
}

if (panel.dataset.status === "SUCCEEDED") open();
document.addEventListener("job:status", (event) => {
  if (event.detail?.status === "SUCCEEDED") open();
  else if (["FAILED", "CANCELLED", "INTERRUPTED"].includes(event.detail?.status)) panel.hidden = true;
});
