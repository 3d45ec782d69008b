// The search page: read the form, ask /search, show ranked passages with their
// matched words marked. Text goes into the page as text nodes, never as HTML.
"use strict";

const form = document.getElementById("search-form");
const box = document.getElementById("q");
const syntax = document.getElementById("syntax");
const statusLine = document.getElementById("status");
const list = document.getElementById("results");

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The passage text with each [start, end] highlight wrapped in <mark>.
function marked(text, highlights) {
  const out = element("p", "passage");
  let pos = 0;
  for (const [start, end] of highlights) {
    if (start < pos) continue;
    out.append(text.slice(pos, start), element("mark", "", text.slice(start, end)));
    pos = end;
  }
  out.append(text.slice(pos));
  return out;
}

function render(data) {
  list.replaceChildren();
  const n = data.hits.length;
  statusLine.textContent = n === 0
    ? `No passage matches “${data.query}”.`
    : `${n} passage${n === 1 ? "" : "s"} for “${data.query}”` + (data.timed_out ? " (search stopped at its time limit)" : "");
  for (const hit of data.hits) {
    const item = element("li", "hit");
    item.dataset.rank = hit.rank;
    item.dataset.passageId = hit.passage_id;
    item.append(element("h2", "title", hit.title || hit.source));
    item.append(marked(hit.text, hit.highlights));
    const cite = element("p", "citation");
    const link = element("a", "cite", hit.citation);
    link.href = `/passages/${encodeURIComponent(hit.passage_id)}/source#cited`;
    link.title = "Open the source article at this passage";
    cite.append(link, element("span", "score", ` · score ${hit.score.toFixed(3)}`));
    item.append(cite);
    list.append(item);
  }
}

async function run(query, useSyntax) {
  const params = new URLSearchParams({ q: query, limit: "10" });
  if (useSyntax) params.set("syntax", "true");
  statusLine.textContent = "Searching…";
  try {
    const response = await fetch(`/search?${params}`);
    const data = await response.json();
    if (!response.ok) {
      list.replaceChildren();
      statusLine.textContent = data.error || `The server answered ${response.status}.`;
      return;
    }
    render(data);
  } catch (err) {
    statusLine.textContent = `The search failed: ${err}`;
  }
}

function fromAddress() {
  const params = new URLSearchParams(window.location.search);
  const query = params.get("q") || "";
  box.value = query;
  syntax.checked = params.get("syntax") === "true";
  if (query.trim()) run(query, syntax.checked);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const query = box.value;
  if (!query.trim()) return;
  // Keep the query in the address, so Back from a source returns to these results.
  const params = new URLSearchParams({ q: query });
  if (syntax.checked) params.set("syntax", "true");
  history.pushState(null, "", `/?${params}`);
  run(query, syntax.checked);
});
window.addEventListener("popstate", fromAddress);
fromAddress();
