// The run page's "Take it with you" panel: copy a snippet; and when a run watched live finishes, fetch the
// panel (/jobs/<id>/exports/) so its files can be had without a reload (job.js sends "job:status").

const COPIED_MS = 2000;

function wireCopy(root) {
  for (const button of root.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const code = document.getElementById(button.dataset.copy);
      const said = document.getElementById(`${button.dataset.copy}-copied`);
      try {
        await navigator.clipboard.writeText(code.textContent);
        button.textContent = "Copied";
        if (said) said.textContent = "Copied to the clipboard.";
      } catch {
        // no clipboard (an insecure page, a refusal): select the code so the visitor can copy it by hand
        const range = document.createRange();
        range.selectNodeContents(code);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        button.textContent = "Selected: copy it";
      }
      setTimeout(() => {
        button.textContent = "Copy";
        if (said) said.textContent = "";
      }, COPIED_MS);
    });
  }
}

const slot = document.getElementById("export-slot");
const panel = document.getElementById("export");
if (panel) wireCopy(panel);

document.addEventListener("job:status", async (event) => {
  if (!slot || event.detail?.status !== "SUCCEEDED" || document.getElementById("export")) return;
  try {
    const response = await fetch(slot.dataset.src, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return;
    slot.innerHTML = await response.text();
    slot.hidden = false;
    wireCopy(slot);
  } catch {
    // the panel comes with the next reload
  }
});
