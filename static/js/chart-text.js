// Plotly reads a subset of HTML in the text it draws (<br>, <b>, <a href>, <span style>, entities).
// Text that people typed (a nickname, a class or column name) goes through plotlyText before it
// becomes a label, so that it is drawn as typed and never as a link or a line break.
const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

export function plotlyText(text) {
  return String(text).replace(/[&<>]/g, (c) => ENTITIES[c]);
}
