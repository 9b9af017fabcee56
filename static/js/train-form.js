// The train form: only the chosen dataset's options show, and the others are disabled so
// they are not posted. Without JavaScript every fieldset shows and the server picks the
// selected dataset's values. The glimpse of the data follows the dataset picker (and a built-in's
// options), and the line beside Train says how long a run of these settings takes.

const form = document.getElementById("train-form");
const select = form?.querySelector("select[name=dataset]");
const fieldsets = form ? [...form.querySelectorAll("fieldset[data-dataset]")] : [];

function showSelectedDataset() {
  for (const fieldset of fieldsets) {
    const active = fieldset.dataset.dataset === select.value;
    fieldset.hidden = !active;
    fieldset.disabled = !active; // a disabled fieldset's inputs are left out of the POST
  }
}

// Some knobs suit one kind of data and not another (a GAN draws 2-D points with the vanilla
// variant, images with DCGAN): picking a dataset sets them, unless the visitor chose a value.
const dataDefaults = (() => {
  const el = document.getElementById("data-defaults");
  try { return el ? JSON.parse(el.textContent) : null; } catch { return null; }
})();
const touched = new Set(); // knobs the visitor set: a dataset's defaults leave them alone
form?.addEventListener("change", (event) => {
  const field = event.target;
  if (!field.name || field === select) return;
  if (field.dataset.autoSet === field.value) delete field.dataset.autoSet; // our own change, below
  else touched.add(field.name);
});

function applyDataDefaults() {
  if (!dataDefaults) return;
  const own = dataDefaults.by_dataset?.[select.value] || {};
  for (const [name, fallback] of Object.entries(dataDefaults.schema || {})) {
    const field = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!field || field.disabled || touched.has(name)) continue;
    const value = String(name in own ? own[name] : fallback);
    if (field.value !== value) {
      field.value = value;
      field.dataset.autoSet = value;
      field.dispatchEvent(new Event("change", { bubbles: true })); // the diagram redraws
    }
  }
}

// ---------------------------------------------------------------- the glimpse of the data

const glimpseBox = document.getElementById("data-glimpse");
const DEBOUNCE_MS = 350;

function debounce(fn, ms) {
  let timer = null;
  return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
}

// The posted fields the server reads for a preview or an estimate: the chosen dataset, the knobs and
// that dataset's options (the other datasets' fieldsets are disabled, so FormData leaves them out).
function formQuery({ only } = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (name === "csrfmiddlewaretoken" || name === "class_session" || name.startsWith("run__")) continue;
    if (name.startsWith("sweep__")) continue; // one run's estimate: the sweep's knob is set above
    if (only && !only(name)) continue;
    params.append(name, value);
  }
  return params;
}

const glimpseOf = () => dataDefaults?.glimpses?.[select?.value] || null;

let glimpseController = null;
async function refreshGlimpse() {
  const source = glimpseOf();
  if (!glimpseBox || !source) return;
  glimpseController?.abort();
  glimpseController = new AbortController();
  // a built-in is drawn with the options the form has; an upload's are fixed
  const query = source.builtin ? formQuery({ only: (name) => name.startsWith("data__") }) : new URLSearchParams();
  glimpseBox.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(`${source.url}?${query}`, {
      credentials: "same-origin", signal: glimpseController.signal, headers: { Accept: "text/html" },
    });
    if (response.ok) glimpseBox.innerHTML = await response.text();
    else glimpseBox.textContent = `The preview of this dataset could not be loaded (${response.status}).`;
  } catch (err) {
    if (err.name !== "AbortError") glimpseBox.textContent = "The preview of this dataset could not be loaded (network error).";
  } finally {
    glimpseBox.setAttribute("aria-busy", "false");
  }
}

// ---------------------------------------------------------------- how long a run takes

const estimateBox = document.getElementById("run-estimate");
const estimateText = estimateBox?.querySelector("[data-estimate-text]");
const estimateBasis = estimateBox?.querySelector("[data-estimate-basis]");
// (read as an attribute: a form's named property "dataset" is its dataset picker)
const architecture = form?.getAttribute("data-architecture");
let estimateController = null;
async function refreshEstimate() {
  if (!estimateBox || !architecture) return;
  estimateController?.abort();
  estimateController = new AbortController();
  const url = `/api/architectures/${encodeURIComponent(architecture)}/estimate?${formQuery()}`;
  estimateBox.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(url, { credentials: "same-origin", signal: estimateController.signal, headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => null);
    if (response.ok && body) {
      estimateText.textContent = body.text;
      estimateText.classList.toggle("is-over", Boolean(body.over_limit));
      estimateBasis.textContent = `${body.basis} You will land on the live page of your run.`;
      estimateBasis.hidden = false;
    } else {
      estimateText.textContent = response.status === 422
        ? "Fix the settings to see how long a run takes."
        : "How long a run takes could not be worked out just now.";
      estimateText.classList.remove("is-over");
      estimateBasis.hidden = true;
    }
  } catch (err) {
    if (err.name !== "AbortError") {
      estimateText.textContent = "How long a run takes could not be worked out just now (network error).";
      estimateBasis.hidden = true;
    }
  } finally {
    estimateBox.removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------- the settings in the address

// The form's state is the page's address (a setup link, as in TensorFlow Playground): the dataset, every
// knob, the dataset's options and the run options, named as the form posts them. Copy the address and
// whoever opens it gets this form. A class's run keeps its ``class`` (locked knobs are not posted).
function setupLink() {
  const params = new URLSearchParams();
  const lesson = new URLSearchParams(window.location.search).get("class");
  if (lesson) params.set("class", lesson);
  for (const [name, value] of new FormData(form)) {
    if (name === "csrfmiddlewaretoken" || name === "class_session") continue;
    if (name.startsWith("sweep__") && !value) continue; // a sweep is in the link only when one is set up
    params.append(name, value);
  }
  return `${window.location.pathname}?${params}${window.location.hash}`;
}

function rememberSettings() {
  window.history.replaceState(window.history.state, "", setupLink());
}

const scheduleEstimate = debounce(refreshEstimate, DEBOUNCE_MS);
const scheduleGlimpse = debounce(refreshGlimpse, DEBOUNCE_MS);
if (form) {
  form.addEventListener("input", rememberSettings);
  form.addEventListener("change", rememberSettings);
  form.addEventListener("input", (event) => {
    if (event.target === select || event.target.name?.startsWith("run__")) return;
    scheduleEstimate();
    if (event.target.name?.startsWith("data__") && glimpseOf()?.builtin) scheduleGlimpse();
  });
  form.addEventListener("change", (event) => {
    if (event.target === select || event.target.name?.startsWith("run__")) return;
    scheduleEstimate();
    if (event.target.name?.startsWith("data__") && glimpseOf()?.builtin) scheduleGlimpse();
  });
}

if (select && fieldsets.length) {
  select.addEventListener("change", () => {
    showSelectedDataset();
    applyDataDefaults();
    refreshGlimpse();
    scheduleEstimate();
  });
  showSelectedDataset();
}

if (form) {
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", () => {
    // One click, one run: a double click would queue two jobs.
    queueMicrotask(() => {
      button.disabled = true;
      button.textContent = "Starting…";
    });
  });
  // Coming back with the Back button restores the page from cache: make the button usable again.
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    button.textContent = "Train";
  });
}

// ---------------------------------------------------------------- sweep a knob

// How many runs the sweep fold would queue, as the server splits the values (semicolons, or commas and
// spaces for a knob that takes one value), said as the values change; Enter in the fold queues the sweep.
const sweepFold = document.getElementById("sweep");
if (sweepFold && form) {
  const axes = [...sweepFold.querySelectorAll(".sweep-axis")].map((axis) => ({
    knob: axis.querySelector("[data-sweep-knob]"),
    values: axis.querySelector("[data-sweep-values]"),
  }));
  const count = document.getElementById("sweep-count");
  const button = document.getElementById("sweep-submit");
  const split = (text, isList) =>
    text.includes(";") || isList
      ? text.split(";").map((s) => s.trim()).filter(Boolean)
      : text.split(/[\s,]+/).filter(Boolean);
  const describe = () => {
    const used = axes
      .filter((a) => a.knob.value)
      .map((a) => {
        const option = a.knob.selectedOptions[0];
        return { label: option.textContent.trim(), values: split(a.values.value, option.hasAttribute("data-list")) };
      });
    if (!used.length) {
      count.textContent = "Pick a knob and list its values.";
      return;
    }
    const runs = used.reduce((n, a) => n * a.values.length, 1);
    count.textContent = runs
      ? `${runs} run${runs === 1 ? "" : "s"}: ${used.map((a) => `${a.label.toLowerCase()} = ${a.values.join(", ")}`).join(" × ")}`
      : `List the values of ${used.filter((a) => !a.values.length).map((a) => a.label.toLowerCase()).join(" and ")}.`;
  };
  sweepFold.addEventListener("input", describe);
  sweepFold.addEventListener("change", describe);
  sweepFold.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("[data-sweep-values]")) {
      event.preventDefault();
      button.click();
    }
  });
  describe();
}
