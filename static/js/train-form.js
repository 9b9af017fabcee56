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

if (select && fieldsets.length) {
  select.addEventListener("change", showSelectedDataset);
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
