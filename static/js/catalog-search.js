// Catalog search: filters the cards live by the words in their data-search attribute.
// Without this script the box stays hidden and the whole catalog shows.
const box = document.getElementById("catalog-search");
const input = document.getElementById("catalog-search-input");
const status = document.getElementById("catalog-search-status");
const cards = [...document.querySelectorAll("[data-search]")];
const families = [...document.querySelectorAll("section.family")];

function filter() {
  const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const card of cards) {
    const text = card.dataset.search;
    const match = words.every((w) => text.includes(w));
    card.hidden = !match;
    if (match) shown += 1;
  }
  for (const family of families) {
    family.hidden = !family.querySelector("[data-search]:not([hidden])");
  }
  if (!words.length) status.textContent = "";
  else if (shown === 0) status.textContent = `No architecture matches “${input.value.trim()}”. Try a shorter word, or ask the guide.`;
  else status.textContent = `${shown} architecture${shown === 1 ? "" : "s"} match${shown === 1 ? "es" : ""}.`;
}

if (box && input && status) {
  box.hidden = false;
  input.addEventListener("input", filter);
  const q = new URLSearchParams(location.search).get("q");
  if (q) { input.value = q; filter(); }
}
