// The new-session form: the goal's measure offers what a run on the chosen dataset reports (the
// server checks it too), and the target's hint follows the measure's direction and format.
const choicesByDataset = JSON.parse(document.getElementById("metrics-by-dataset")?.textContent || "{}");
const dataset = document.getElementById("id_dataset");
const metric = document.getElementById("id_goal_metric");
const targetHelp = document.getElementById("id_goal_target-help");

const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);

function syncMetrics() {
  const choices = choicesByDataset[dataset.value];
  if (!choices) return;
  const current = metric.value;
  metric.replaceChildren(...choices.map((c) => {
    const option = new Option(capitalised(c.label), c.key);
    option.dataset.higher = String(c.higher);
    option.dataset.format = c.format;
    return option;
  }));
  if (choices.some((c) => c.key === current)) metric.value = current;
  else metric.value = (choices.find((c) => c.headline) || choices[0])?.key ?? "";
  syncHelp();
}

function syncHelp() {
  const option = metric.selectedOptions[0];
  if (!option) {
    targetHelp.textContent = "";
    return;
  }
  const higher = option.dataset.higher === "true";
  let text = `${higher ? "Higher" : "Lower"} is better: a run reaches the goal when its measure is ${higher ? "at least" : "at most"} this.`;
  if (option.dataset.format === "percent") text += " A share from 0 to 1: 0.9 means 90 %.";
  targetHelp.textContent = text;
}

if (dataset && metric && targetHelp) {
  dataset.addEventListener("change", syncMetrics);
  metric.addEventListener("change", syncHelp);
  syncHelp();
}
