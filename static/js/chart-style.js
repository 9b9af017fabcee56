// The look every chart of the site shares (the run page's and the comparison's): axes and the page's
// font and colours. Each page adds its own margins, legend and hover on top.
export const AXIS = { gridcolor: "#e2e8f0", zerolinecolor: "#cbd5e1", linecolor: "#94a3b8", automargin: true };
export const CHART_LOOK = {
  font: { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12, color: "#1e293b" },
  paper_bgcolor: "#ffffff",
  plot_bgcolor: "#ffffff",
};
