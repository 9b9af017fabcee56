// A student's class page: the leaderboard follows the class by polling the API (students get
// nicknames and numbers only; the live stream is the teacher's).
import { readJson, renderLeaderboard, showLocalTimes } from "./class-board.js";

showLocalTimes();

const POLL_MS = 5000;
const data = readJson("class-data", {});
const tbody = document.querySelector("[data-leaderboard] tbody");

async function refresh() {
  try {
    const response = await fetch(data.leaderboard_url, { headers: { Accept: "application/json" } });
    if (response.ok) renderLeaderboard(tbody, await response.json());
  } catch {
    // offline for a moment: the next poll tries again
  }
}

if (tbody && data.leaderboard_url) {
  setInterval(() => { if (!document.hidden) refresh(); }, POLL_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
}
