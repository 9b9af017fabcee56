// The leaderboard of a class session, re-drawn from the JSON rows of the API and the dashboard's
// stream. The cells match templates/classes/_leaderboard.html, which draws the first state.

function cell(label, className = "") {
  const td = document.createElement("td");
  td.dataset.label = label;
  if (className) td.className = className;
  return td;
}

function muted(text) {
  const span = document.createElement("span");
  span.className = "muted";
  span.textContent = text;
  return span;
}

function pill(text, kind) {
  const span = document.createElement("span");
  span.className = `pill pill-${kind}`;
  span.textContent = text;
  return span;
}

// rows: [{nickname, best, best_text, note, runs, running, reached_goal, job_id, student}], best first.
export function renderLeaderboard(tbody, rows, { teaching = false, highlighted = null } = {}) {
  const fragment = document.createDocumentFragment();
  if (!rows.length) {
    const tr = document.createElement("tr");
    tr.className = "empty-row";
    const td = document.createElement("td");
    td.colSpan = 6;
    td.append(muted("Nobody has joined yet."));
    tr.append(td);
    fragment.append(tr);
  }
  let rank = 0;
  for (const row of rows) {
    const tr = document.createElement("tr");
    if (row.student != null) tr.dataset.student = String(row.student);
    if (highlighted != null && String(row.student) === String(highlighted)) tr.classList.add("is-highlighted");
    const rankCell = cell("Rank", "num");
    if (row.best != null) rankCell.textContent = String(++rank);
    else rankCell.append(muted("—"));
    const name = cell("Nickname");
    if (teaching && row.job_id) {
      const a = document.createElement("a");
      a.href = `/jobs/${row.job_id}/`;
      a.textContent = row.nickname;
      name.append(a);
    } else {
      name.textContent = row.nickname;
    }
    const best = cell("Best", "num");
    const shown = document.createElement("span");
    shown.className = "board-best";
    if (row.best != null) shown.append(row.best_text); // formatted by the server, as the metric's meaning says
    else shown.append(muted("—"));
    if (row.note) { // why a result is not ranked (over the goal's size limit)
      const note = document.createElement("small");
      note.className = "board-note";
      note.textContent = row.note;
      shown.append(note);
    }
    best.append(shown);
    const runs = cell("Runs", "num");
    runs.textContent = String(row.runs);
    const now = cell("Now");
    now.append(row.running ? pill("training", "running") : muted("idle"));
    const goal = cell("Goal");
    goal.append(row.reached_goal ? pill("reached", "succeeded") : muted("not yet"));
    tr.append(rankCell, name, best, runs, now, goal);
    fragment.append(tr);
  }
  tbody.replaceChildren(fragment);
}

export function readJson(id, fallback) {
  const el = document.getElementById(id);
  if (!el) return fallback;
  try { return JSON.parse(el.textContent) ?? fallback; } catch { return fallback; }
}

// Deadlines come from the server in UTC ("14:05 UTC"); shown in the visitor's own clock time.
export function showLocalTimes(root = document) {
  for (const el of root.querySelectorAll("time[data-local]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) continue;
    el.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    el.title = when.toLocaleString();
  }
}
