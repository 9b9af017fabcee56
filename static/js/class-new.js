// The new-session form: the goal's measure lists what the chosen dataset reports (the server
// checks it too), and the target's hint follows the measure's direction.
const metricsByDataset = JSON.parse(document.getElementById("metrics-by-dataset")?.textContent || "{}");
const dataset = document.getElementById("id_dataset");
const metric = document.getElementById("id_goal_metric");
const targetHelp = document.getElementById("id_goal_target-help");

function syncMetrics() {
  const allowed = metricsByDataset[dataset.value];
  if (!allowed) return;
  for (const option of metric.options) {
    const ok = allowed.includes(option.value);
    option.hidden = !ok;
    option.disabled = !ok;
  }
  if (metric.selectedOptions[0]?.disabled) metric.value = allowed[0];
  syncHelp();
}

function syncHelp() {
  const higher = metric.selectedOptions[0]?.dataset.higher === "true";
  targetHelp.textContent = higher
    ? "A run reaches the goal when its measure is at least this."
    : "A run reaches the goal when its measure is at most this.";
}

if (dataset && metric && targetHelp) {
  dataset.addEventListener("change", syncMetrics);
  metric.addEventListener("change", syncHelp);
  syncMetrics();
}
