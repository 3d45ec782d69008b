// The search page. Its state is the address (?q=&where=&since=&until=&group_by=&sort=
// &offset=&similar=), in the API's own parameter names: every change pushes a new
// address and show() reads it back, so a shared or reloaded link shows the same
// results. Text from the index goes into the page as text nodes, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const form = $("search-form"), box = $("q"), syntax = $("syntax");
const publisher = $("publisher"), author = $("author"), since = $("since"), until = $("until");
const kind = $("kind"), sort = $("sort"), group = $("group");
const chips = $("chips"), statusLine = $("status"), facets = $("facets"), list = $("results");
const suggestion = $("suggestion");
const pager = $("pager"), previous = $("previous"), next = $("next");
const PAGE = 10;
const FACETS = "publisher,author,year,kind";
let latest = 0;  // the newest request: an older answer arriving late is dropped

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// "publisher=Reuters" -> ["publisher", "Reuters"] (a value may itself hold "=").
function split(filter) {
  const at = filter.indexOf("=");
  return [filter.slice(0, at), filter.slice(at + 1)];
}

function current() {
  return new URLSearchParams(window.location.search);
}

// Go to new parameters: a new history entry (Back returns), then show it.
function go(params, { keepOffset = false } = {}) {
  if (!keepOffset) params.delete("offset");
  for (const [key, value] of [...params]) if (value === "") params.delete(key);
  history.pushState(null, "", params.toString() ? `/?${params}` : "/");
  show();
}

function setWhere(params, filters) {
  params.delete("where");
  for (const filter of filters) params.append("where", filter);
  return params;
}

// Add FIELD=VALUE to the filters (once); kind has one value at most (the select).
function withFilter(params, field, value) {
  const filter = `${field}=${value}`;
  const kept = params.getAll("where").filter((w) => w !== filter && !(field === "kind" && split(w)[0] === "kind"));
  return setWhere(params, value ? [...kept, filter] : kept);
}

// The form: the query, the options, and any publisher or author typed, added to the
// filters already active (the same field repeated means either).
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const params = current();
  if (box.value.trim()) params.delete("similar");  // new words: a search, not "like this passage"
  params.set("q", box.value);
  params.set("syntax", syntax.checked ? "true" : "");
  for (const [field, input] of [["publisher", publisher], ["author", author]]) {
    if (input.value.trim()) withFilter(params, field, input.value.trim());
    input.value = "";
  }
  withFilter(params, "kind", kind.value);
  params.set("since", since.value.trim());
  params.set("until", until.value.trim());
  params.set("group_by", group.checked ? "article" : "");
  params.set("sort", sort.value === "relevance" ? "" : sort.value);
  go(params);
});
for (const control of [kind, sort, group]) control.addEventListener("change", () => form.requestSubmit());

// The form and the chips as the address says.
function fill(params) {
  box.value = params.get("q") || "";
  syntax.checked = params.get("syntax") === "true";
  since.value = params.get("since") || "";
  until.value = params.get("until") || "";
  group.checked = params.get("group_by") === "article";
  sort.value = params.get("sort") || "relevance";
  const kinds = params.getAll("where").filter((w) => split(w)[0] === "kind");
  kind.value = kinds.length === 1 ? split(kinds[0])[1] : "";
  const active = params.getAll("where").map((w) => [...split(w), "where", w]);
  for (const name of ["since", "until"]) if (params.get(name)) active.push([name, params.get(name), name, null]);
  chips.replaceChildren(...active.map(([field, value, key, filter]) => {
    const chip = element("li", "chip", `${field}: ${value}`);
    const remove = element("button", "remove", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", `remove the filter ${field}: ${value}`);
    remove.addEventListener("click", () => {
      const p = current();
      if (filter === null) p.delete(key);
      else setWhere(p, p.getAll("where").filter((w) => w !== filter));
      go(p);
    });
    chip.append(" ", remove);
    return chip;
  }));
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

// Only http(s) addresses become links: metadata comes from files, and could say javascript:.
function webAddress(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function link(className, text, href, title) {
  const a = element("a", className, text);
  a.href = href;
  if (title) a.title = title;
  return a;
}

function renderHit(hit) {
  const item = element("li", "hit");
  item.dataset.rank = hit.rank;
  item.dataset.passageId = hit.passage_id;
  item.append(element("h2", "title", hit.title || hit.source));
  item.append(marked(hit.text, hit.highlights));
  const variants = [...new Set(Object.values(hit.matched || {}))];
  if (variants.length) item.append(element("p", "matched", `also matched: ${variants.join(", ")}`));
  if (hit.group_count > 1) {
    const more = hit.group_count - 1;
    item.append(element("p", "more", `and ${more} more passage${more === 1 ? "" : "s"} in this article`));
  }
  // The citation links to the local source view; beside it the original article, if known.
  const cite = element("p", "citation");
  cite.append(link("cite", hit.citation, `/passages/${encodeURIComponent(hit.passage_id)}/source#cited`,
                   "Open the source article at this passage"));
  const original = webAddress((hit.metadata || {}).url || "");
  if (original) {
    const a = link("original", "original article", original, original);
    a.rel = "noopener noreferrer";
    cite.append(" · ", a);
  }
  const params = current();
  for (const key of ["q", "syntax", "offset"]) params.delete(key);
  params.set("similar", hit.passage_id);
  const like = link("similar", "similar passages", `/?${params}`, "Passages like this one");
  like.addEventListener("click", (event) => { event.preventDefault(); go(params); });
  cite.append(" · ", like);
  if (hit.score) cite.append(element("span", "score", ` · score ${hit.score.toFixed(3)}`));
  item.append(cite);
  return item;
}

function renderFacets(data) {
  facets.replaceChildren();
  for (const [field, values] of Object.entries(data.facets || {})) {
    if (!values.length) continue;
    const block = element("div", "facet");
    block.dataset.field = field;
    block.append(element("h3", "", field));
    const items = element("ul");
    for (const { value, count } of values) {
      const button = element("button", "facet-value", value);
      button.type = "button";
      button.dataset.value = value;
      button.append(" ", element("span", "count", String(count)));
      button.addEventListener("click", () => {
        const params = current();
        if (field === "year") { params.set("since", value); params.set("until", value); }
        else withFilter(params, field, value);
        go(params);
      });
      const li = element("li");
      li.append(button);
      items.append(li);
    }
    block.append(items);
    facets.append(block);
  }
}

function render(data, params, like) {
  list.replaceChildren(...data.hits.map(renderHit));
  list.style.counterReset = `rank ${data.offset}`;
  renderFacets(data);
  const n = data.hits.length, total = data.total ?? n;
  const unit = params.get("group_by") === "article" ? "article" : "passage";
  const what = like ? `like ${like}` : data.query.trim() ? `for “${data.query}”` : "matching the filters";
  let text = n === 0
    ? `No ${unit} ${what}` + (data.offset ? ` past ${data.offset}.` : ".")
    : `${data.offset + 1}–${data.offset + n} of ${total} ${unit}${total === 1 ? "" : "s"} ${what}`;
  if (data.undated) text += ` (${data.undated} without a date left out)`;
  if (data.timed_out) text += " (search stopped at its time limit)";
  statusLine.textContent = text;
  suggestion.replaceChildren();
  if (data.suggestion) {
    // A word this index does not hold: offer the query with its closest spelling here.
    const params = current();
    params.set("q", data.suggestion);
    params.delete("offset");
    const a = link("suggested", data.suggestion, `/?${params}`, "Search for this instead");
    a.addEventListener("click", (event) => { event.preventDefault(); go(params); });
    suggestion.append("Did you mean ", a, "?");
  }
  pager.hidden = data.offset === 0 && data.offset + n >= total;
  previous.disabled = data.offset === 0;
  next.disabled = data.offset + n >= total;
}

function page(step) {
  const params = current();
  params.set("offset", String(Math.max(0, Number(params.get("offset") || 0) + step * limitOf(params))));
  go(params, { keepOffset: true });
  window.scrollTo(0, 0);
}
previous.addEventListener("click", () => page(-1));
next.addEventListener("click", () => page(1));

function limitOf(params) {
  return Number(params.get("limit")) || PAGE;
}

function clear(message) {
  list.replaceChildren();
  facets.replaceChildren();
  pager.hidden = true;
  statusLine.textContent = message;
}

// "passage 2 of “Title”" for the passage asked about with ?similar=ID (its id if that fails).
async function named(passageId) {
  try {
    const response = await fetch(`/passages/${encodeURIComponent(passageId)}`);
    const { passage } = await response.json();
    return `passage ${passage.ordinal + 1} of “${passage.title || passage.source}”`;
  } catch {
    return `passage ${passageId}`;
  }
}

// Read the address, fill the form, ask the API, show the answer.
async function show() {
  const params = current();
  fill(params);
  const similar = params.get("similar");
  const filtered = params.getAll("where").length || params.get("since") || params.get("until");
  if (!similar && !(params.get("q") || "").trim() && !filtered) return clear("");
  const ask = new URLSearchParams(params);
  ask.delete("similar");
  ask.set("limit", String(limitOf(params)));
  ask.set("facets", FACETS);
  const url = similar ? `/passages/${encodeURIComponent(similar)}/similar?${ask}` : `/search?${ask}`;
  const mine = ++latest;
  list.setAttribute("aria-busy", "true");
  statusLine.textContent = "Searching…";
  try {
    const [response, like] = await Promise.all([fetch(url), similar ? named(similar) : null]);
    const data = await response.json();
    if (mine !== latest) return;
    if (!response.ok) clear(data.error || `The server answered ${response.status}.`);
    else render(data, params, like);
  } catch (err) {
    if (mine === latest) clear(`The search failed: ${err}`);
  } finally {
    if (mine === latest) list.setAttribute("aria-busy", "false");
  }
}

window.addEventListener("popstate", show);
show();
