// The upload form: only the chosen kind's explanation shows, the node file only for graphs,
// and the button says "Uploading…" while the file travels. Without JavaScript every
// explanation and the node file show, with a note.

const form = document.getElementById("upload-form");
const radios = form ? [...form.querySelectorAll("input[name=kind]")] : [];
const helps = form ? [...form.querySelectorAll(".kind-help[data-kind]")] : [];
const nodesField = document.getElementById("nodes-field");
const nodesInput = document.getElementById("id_nodes_file");
const fileInput = document.getElementById("id_file");
const sizeError = document.getElementById("id_file-size-error");
const button = document.getElementById("upload-button");
const statusLine = document.getElementById("upload-status");

function selectedKind() {
  return radios.find((r) => r.checked)?.value || radios[0]?.value || "";
}

function showKind() {
  const kind = selectedKind();
  for (const help of helps) help.hidden = help.dataset.kind !== kind;
  if (nodesField) {
    const graph = kind === "graph";
    nodesField.hidden = !graph;
    nodesInput.disabled = !graph; // a disabled input is not posted: no stray node file
  }
}

function formatSize(bytes) {
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

function checkSize() {
  // Optional early warning; the server checks again whatever happens here.
  const max = Number(form.dataset.maxBytes || 0);
  const file = fileInput.files?.[0];
  const tooBig = Boolean(max && file && file.size > max);
  sizeError.hidden = !tooBig;
  sizeError.textContent = tooBig
    ? `This file is ${formatSize(file.size)}, over the ${formatSize(max)} limit. Upload a smaller sample instead.`
    : "";
  if (tooBig) {
    fileInput.setAttribute("aria-invalid", "true");
    fileInput.setAttribute("aria-describedby", "id_file-help id_file-size-error");
  } else if (!document.getElementById("upload-error")) {
    fileInput.removeAttribute("aria-invalid");
    fileInput.setAttribute("aria-describedby", "id_file-help");
  }
  return !tooBig;
}

if (form) {
  document.documentElement.classList.add("js");
  for (const radio of radios) radio.addEventListener("change", showKind);
  showKind();

  fileInput.addEventListener("change", checkSize);

  form.addEventListener("submit", (event) => {
    if (!checkSize()) {
      event.preventDefault();
      fileInput.focus();
      return;
    }
    const file = fileInput.files?.[0];
    // One click, one upload: disable after the browser has collected the form data.
    queueMicrotask(() => {
      button.disabled = true;
      button.textContent = "Uploading…";
    });
    if (file) {
      statusLine.textContent = `Uploading ${file.name} (${formatSize(file.size)})… a big file can take a minute; keep this page open.`;
    }
  });

  // Coming back with the Back button restores the page from cache: make the button usable again.
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    button.textContent = "Upload";
    statusLine.textContent = "";
    showKind();
  });
}
