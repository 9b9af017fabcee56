// The teacher's live dashboard of a class session (made for a projector): one WebSocket
// (/ws/classes/<id>/) sends a snapshot, then batches of new points per run and, when something
// changed state, the leaderboard and roster again. Every student's latest run is one line.
import { plotlyText } from "./chart-text.js";
import { readJson, renderLeaderboard, showLocalTimes } from "./class-board.js";

showLocalTimes();

const data = readJson("class-data", {});
const $ = (id) => document.getElementById(id);
const chartEl = $("class-chart");
const highlightSelect = $("highlight");
const boardBody = document.querySelector("[data-leaderboard] tbody");
const rosterBody = document.querySelector("[data-roster] tbody");
const csrfToken = document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
const BACKOFF_MAX_MS = 10000;

const nicknames = new Map(); // student id -> nickname
const curves = new Map(); // student id -> {job, status, points: [[epoch, value], ...]}
let roster = [];
let leaderboard = [];
let highlighted = "";
let spotlight = null;
let drawPending = false;
let socket = null;
let reconnectDelay = 1000;
let updates = 0;

function exposeForTests() {
  document.body.dataset.classCurves = String([...curves.values()].filter((c) => c.points.length).length);
  document.body.dataset.classUpdates = String(updates);
  document.body.dataset.classStudents = String(roster.length);
}

function setConnection(text) {
  $("connection-status").textContent = text;
}

// ---------------------------------------------------------------- the chart

// The goal metric's meaning (label, format, unit), as models_lib.registry.Metric.text shows values.
const meaning = data.meaning || { label: data.metric, format: "number", unit: "" };
const grouped = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });

function formatValue(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  if (meaning.format === "percent") return `${(value * 100).toFixed(1)} %`;
  if (meaning.format === "integer" || meaning.format === "rate") return grouped.format(Math.round(value));
  if (meaning.format === "seconds") return `${value.toFixed(1)} s`;
  const text = String(Number(value.toPrecision(4)));
  return meaning.unit ? `${text} ${meaning.unit}` : text;
}

function traces() {
  const out = [];
  for (const [student, curve] of curves) {
    if (!curve.points.length) continue;
    const focus = !highlighted || String(student) === highlighted;
    out.push({
      type: "scatter",
      mode: curve.points.length > 1 ? "lines+markers" : "markers",
      name: plotlyText(nicknames.get(student) || `student ${student}`), // a nickname is text, not markup
      x: curve.points.map((p) => p[0]),
      y: curve.points.map((p) => p[1]),
      opacity: focus ? 1 : 0.2,
      line: { width: highlighted && focus ? 5 : 2.5 },
      marker: { size: highlighted && focus ? 9 : 6 },
      text: curve.points.map((p) => formatValue(p[1])),
      hovertemplate: `%{fullData.name}: %{text} after epoch %{x}<extra>run #${curve.job}</extra>`,
    });
  }
  return out;
}

function draw() {
  drawPending = false;
  const Plotly = window.Plotly;
  if (!Plotly || !chartEl) return;
  const lines = traces();
  chartEl.querySelector(".chart-empty")?.toggleAttribute("hidden", lines.length > 0);
  if (!lines.length) {
    Plotly.purge(chartEl); // no axes without a line: the note says what will come
    return;
  }
  const shapes = typeof data.target === "number" ? [{
    type: "line", xref: "paper", x0: 0, x1: 1, y0: data.target, y1: data.target,
    line: { dash: "dash", width: 2, color: "#166534" },
  }] : [];
  const lastEpoch = Math.max(0, ...lines.flatMap((t) => t.x));
  Plotly.react(chartEl, lines, {
    uirevision: "class",
    margin: { l: 60, r: 10, t: 10, b: 50 },
    font: { size: 16 },
    xaxis: { title: { text: "epoch" }, rangemode: "tozero", tickformat: "d", dtick: lastEpoch <= 20 ? 1 : undefined },
    yaxis: {
      title: { text: meaning.unit ? `${meaning.label} (${meaning.unit})` : meaning.label },
      tickformat: meaning.format === "percent" ? ".0%" : undefined,
    },
    legend: { orientation: "v", font: { size: 15 } },
    shapes,
    showlegend: true,
  }, { responsive: true, displaylogo: false });
}

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(draw);
}

// ---------------------------------------------------------------- the tables

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else node[key] = value;
  }
  node.append(...children);
  return node;
}

function spotlightForm(jobId) {
  const showing = spotlight === jobId;
  return el("form", { method: "post", action: `/classes/${data.id}/spotlight/`, className: "inline-form" },
    el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrfToken }),
    el("input", { type: "hidden", name: "job", value: showing ? "" : String(jobId) }),
    el("button", { type: "submit", className: "button button-small" }, showing ? "Stop showing" : `Show run #${jobId}`));
}

function renderRoster() {
  if (!rosterBody) return;
  const rows = roster.map((r) => {
    const curve = curves.get(r.student);
    const job = curve?.job ?? r.latest_job;
    const status = (curve?.status ?? r.latest_status ?? "").toLowerCase();
    const latest = el("td", { dataset: { label: "Latest run" } });
    if (job) {
      latest.append(el("a", { href: `/jobs/${job}/` }, `Run #${job}`), " ",
        el("span", { className: `pill pill-${status}` }, status || "queued"));
      const fraction = curve?.fraction ?? r.fraction;
      if (status === "running" && typeof fraction === "number") {
        latest.append(" ", el("span", { className: "muted num" }, `${Math.round(fraction * 100)} %`));
      }
    } else {
      latest.append(el("span", { className: "muted" }, "no run yet"));
    }
    const show = el("td", { dataset: { label: "Show the class" } });
    show.append(job ? spotlightForm(job) : el("span", { className: "muted" }, "—"));
    const tr = el("tr", { dataset: { student: String(r.student) } },
      el("td", { dataset: { label: "Nickname" } }, r.nickname),
      latest,
      el("td", { className: "num", dataset: { label: "Minutes used" } }, r.used_min.toFixed(1)),
      show);
    if (String(r.student) === highlighted) tr.classList.add("is-highlighted");
    return tr;
  });
  if (!rows.length) {
    rows.push(el("tr", { className: "empty-row" },
      el("td", { colSpan: 4, className: "muted" }, "Nobody has joined yet: show them the code.")));
  }
  rosterBody.replaceChildren(...rows);
}

function renderHighlightOptions() {
  if (!highlightSelect) return;
  const current = highlightSelect.value;
  highlightSelect.replaceChildren(el("option", { value: "" }, "nobody"),
    ...roster.map((r) => el("option", { value: String(r.student) }, r.nickname)));
  highlightSelect.value = roster.some((r) => String(r.student) === current) ? current : "";
}

function renderSession(session) {
  $("student-count").textContent = String(session.students);
  const state = $("session-state");
  const [text, kind] = session.ended ? ["Ended", "cancelled"]
    : session.joining_open ? ["Open for joining", "succeeded"] : ["Joining paused", "queued"];
  state.textContent = text;
  state.className = `pill pill-${kind}`;
  const budget = session.budget;
  $("budget-used").textContent = budget.used_min.toFixed(1);
  $("budget-share").textContent = budget.share_min.toFixed(1);
  const held = $("budget-held");
  if (held) held.textContent = budget.held_min.toFixed(1);
  spotlight = session.spotlight_job;
}

function applyBoard(message) {
  roster = message.roster;
  leaderboard = message.leaderboard;
  for (const r of roster) nicknames.set(r.student, r.nickname);
  renderSession(message.session);
  renderLeaderboard(boardBody, leaderboard, { teaching: true, highlighted: highlighted || null });
  renderRoster();
  renderHighlightOptions();
  renderCompareLink();
}

// "Compare the best runs side by side": the leaderboard's best runs, best first, in the comparison's link.
function renderCompareLink() {
  const link = document.getElementById("compare-best");
  if (!link) return;
  const most = Number(link.dataset.max) || 8;
  const ids = leaderboard.map((row) => row.job_id).filter(Boolean).slice(0, most);
  link.href = `/jobs/compare/?ids=${ids.join(",")}`;
  document.getElementById("compare-best-line").hidden = !ids.length;
}

// ---------------------------------------------------------------- the stream

function applySnapshot(message) {
  curves.clear();
  for (const c of message.curves) curves.set(c.student, { job: c.job, status: c.status, points: c.points });
  applyBoard(message);
  scheduleDraw();
}

function applyRuns(runs) {
  for (const run of runs) {
    if (run.student == null) continue;
    let curve = curves.get(run.student);
    if (!curve || run.job > curve.job) {
      curve = { job: run.job, status: "QUEUED", points: [] }; // a new run replaces the student's line
      curves.set(run.student, curve);
    } else if (run.job < curve.job) {
      continue; // an older run still going: the line follows the newest
    }
    curve.points = run.replace ? run.points : curve.points.concat(run.points);
    if (run.status) curve.status = run.status;
    if (typeof run.fraction === "number") curve.fraction = run.fraction;
  }
  renderRoster();
  scheduleDraw();
}

function onMessage(event) {
  const message = JSON.parse(event.data);
  updates += 1;
  if (message.type === "snapshot") applySnapshot(message);
  else if (message.type === "runs") applyRuns(message.runs);
  else if (message.type === "board") applyBoard(message);
  exposeForTests();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}${data.ws}`);
  socket.addEventListener("open", () => {
    reconnectDelay = 1000;
    setConnection("Live");
  });
  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", (event) => {
    if (event.code === 4404) {
      setConnection("This session is not yours to watch. Sign in as its teacher.");
      return;
    }
    setConnection(`Connection lost; trying again in ${Math.round(reconnectDelay / 1000)} s…`);
    setTimeout(connect, reconnectDelay); // the snapshot on reconnect brings everything back
    reconnectDelay = Math.min(reconnectDelay * 2, BACKOFF_MAX_MS);
  });
}

// ---------------------------------------------------------------- controls

function setHighlight(student) {
  highlighted = student ? String(student) : "";
  if (highlightSelect) highlightSelect.value = highlighted;
  renderLeaderboard(boardBody, leaderboard, { teaching: true, highlighted: highlighted || null });
  renderRoster();
  scheduleDraw();
}

highlightSelect?.addEventListener("change", () => setHighlight(highlightSelect.value));
boardBody?.addEventListener("click", (event) => {
  if (event.target.closest("a")) return; // the link opens the run
  const row = event.target.closest("tr[data-student]");
  if (row) setHighlight(row.dataset.student === highlighted ? "" : row.dataset.student);
});
for (const button of document.querySelectorAll("button[data-confirm]")) {
  button.form.addEventListener("submit", (event) => {
    if (!window.confirm(button.dataset.confirm)) event.preventDefault();
  });
}

if (data.ws) {
  setConnection("Connecting…");
  if (window.Plotly) connect();
  else window.addEventListener("load", connect, { once: true });
}
exposeForTests();
