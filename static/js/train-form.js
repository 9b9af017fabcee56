// The train form: only the chosen dataset's options show, and the others are disabled so
// they are not posted. Without JavaScript every fieldset shows and the server picks the
// selected dataset's values.

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

if (select && fieldsets.length) {
  select.addEventListener("change", () => {
    showSelectedDataset();
    applyDataDefaults();
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
