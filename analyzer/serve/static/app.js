// The live page: state from /api, then every change from the event stream (/events).
// Every string that came from a log (a path, a host, a file name) is set as text
// (textContent), never parsed as HTML: a path like <img src=x onerror=...> shows as itself.
"use strict";

const PER_PAGE = 10;
const CHART_SECONDS = 3600;
const view = { page: 1, pages: 1, report: null, status: null, rules: [], points: [], threshold: null, sectionsPage: 1, sectionsPages: 1 };
// The terminal's other tables in the report (snapshot.TABLES), each shown in the table of that id.
const TABLES = ["agents", "referrers", "paths_5xx", "paths_4xx"];

function $(id) { return document.getElementById(id); }

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function note(text) {
  const tr = el("tr");
  tr.append(el("td", text));
  return tr;
}

function svg(tag, attributes) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
  return node;
}

function localTime(second) {
  return new Date(second * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

function utcTime(second) { return new Date(second * 1000).toISOString().replace(".000Z", "Z"); }

async function getJSON(path) {
  const answer = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  if (!answer.ok) throw new Error(path + ": " + answer.status);
  return answer.json();
}

function showStatus(status) {
  if (!status) return;
  view.status = status;
  view.threshold = status.threshold;
  if (status.rules) view.rules = status.rules;
  showRules();
}

// The badge: OK, or every rule in alert with its own since and value against its limit. The
// high-traffic rule alone keeps its words (ALERT since ...), its figures on the line beside.
function showRules() {
  const status = view.status;
  if (!status) return;
  const rules = view.rules;
  const several = rules.length > 1;
  const on = several ? rules.filter((rule) => rule.on) : [];
  const alert = several ? on.length > 0 : status.alert_on;
  const box = $("status");
  const state = $("state");
  box.className = alert ? "status alert" : "status ok";
  state.title = "";
  if (!alert) state.textContent = "OK";
  else if (!several) {
    state.textContent = "ALERT since " + localTime(status.alert_since);
    state.title = utcTime(status.alert_since);
  } else state.textContent = "ALERT";
  const pills = $("rules-on");
  pills.replaceChildren();
  for (const rule of on) { // the terminal's words: "error rate 5xx since 10:00:00 · 5xx 6.20% > 5%"
    const since = rule.since === null ? "" : " since " + (rule.before ? "before " : "") + localTime(rule.since);
    const pill = el("span", rule.label + since + " · " + rule.text, "pill");
    if (rule.since !== null) pill.title = utcTime(rule.since);
    pills.append(pill);
  }
  const others = rules.filter((rule) => rule.rule !== "high_traffic" && !rule.on);
  $("average").textContent =
    "average " + status.average.toFixed(2) + " req/s over " + status.window_s + " s, threshold " +
    status.threshold + " · now " + status.rate_now.toFixed(1) + " req/s" + (status.stale ? " · " + status.stale : "") +
    others.map((rule) => " · " + rule.label + " " + rule.text).join("");
}

function fillCounts(tableId, rows) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren();
  const total = rows.reduce((sum, row) => sum + row[1], 0) || 1;
  for (const [name, hits] of rows) {
    const tr = el("tr");
    tr.append(el("td", name), el("td", hits.toLocaleString(), "n"), el("td", (100 * hits / total).toFixed(1) + "%", "n"));
    body.append(tr);
  }
  if (!rows.length) body.append(note("none yet"));
}

function share(hits, total) { return (100 * hits / (total || 1)).toFixed(1) + "%"; }

// A terminal table: [{name, hits (window), recent (last interval), bot?}], its share of the
// window's requests, a bot marked by a tag of our own text before the agent's.
function fillTable(tableId, rows, requests) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren();
  for (const row of rows) {
    const name = el("td");
    if (row.bot) name.append(el("span", "bot", "tag"));
    name.append(document.createTextNode(row.name));
    const tr = el("tr");
    tr.append(name, el("td", row.hits.toLocaleString(), "n"), el("td", share(row.hits, requests), "n"));
    body.append(tr);
  }
  if (!rows.length) body.append(note("none in the window"));
}

function fillLatency(latency) {
  const table = $("latency");
  table.tHead.replaceChildren();
  table.tBodies[0].replaceChildren();
  if (!latency) {
    table.tBodies[0].append(note("the log has no request times"));
    return;
  }
  const head = el("tr");
  head.append(el("th", "section"), ...latency.columns.map((column) => el("th", column, "n")));
  table.tHead.append(head);
  for (const [section, ...seconds] of latency.rows) {
    const tr = el("tr");
    tr.append(el("td", section), ...seconds.map((value) => el("td", Math.round(value * 1000).toLocaleString() + " ms", "n")));
    table.tBodies[0].append(tr);
  }
}

function showReport(report) {
  if (!report) return;
  view.report = report;
  const window = report.window;
  if ($("sections-period").value === "window") fillCounts("sections", window.sections);
  fillCounts("classes", Object.entries(window.status));
  fillCounts("hosts", window.hosts);
  const panels = report.panels || {};
  for (const id of TABLES) fillTable(id, panels[id] || [], window.requests);
  fillLatency(panels.section_latency);
  const files = $("files").tBodies[0];
  files.replaceChildren();
  for (const file of report.files) {
    const tr = el("tr");
    tr.append(el("td", file.path), el("td", file.lines.toLocaleString() + " lines", "n"), el("td", file.status));
    files.append(tr);
  }
  $("footer").textContent =
    "report of " + utcTime(report.second) + " · " + report.totals.requests.toLocaleString() + " requests, " +
    report.totals.rejected.toLocaleString() + " rejected, " + report.totals.late.toLocaleString() + " late since start";
}

function periodSince(select) {
  const choice = select.value;
  return choice === "all" ? 0 : Math.floor(Date.now() / 1000) - Number(choice);
}

// The sections panel over a chosen period, from sections.csv (/api/sections); "the window" is
// the live report's own.
async function loadSections() {
  const select = $("sections-period");
  $("sections-pager").hidden = select.value === "window";
  if (select.value === "window") {
    if (view.report) fillCounts("sections", view.report.window.sections);
    return;
  }
  const until = Math.floor(Date.now() / 1000) + 60;
  const answer = await getJSON(
    "api/sections?since=" + periodSince(select) + "&until=" + until + "&page=" + view.sectionsPage + "&per_page=" + PER_PAGE
  );
  view.sectionsPages = answer.pages;
  const body = $("sections").tBodies[0];
  body.replaceChildren();
  for (const row of answer.sections) {
    const tr = el("tr");
    tr.append(el("td", row.section), el("td", row.hits.toLocaleString(), "n"), el("td", (100 * row.share).toFixed(1) + "%", "n"));
    body.append(tr);
  }
  if (!answer.sections.length) body.append(note("no report in this period"));
  $("sections-page").textContent =
    "page " + answer.page + " of " + answer.pages + " (" + answer.total + " sections, " + answer.hits.toLocaleString() + " hits)";
  $("sections-prev").disabled = answer.page <= 1;
  $("sections-next").disabled = answer.page >= answer.pages;
}

async function loadAlerts() {
  const answer = await getJSON("api/alerts?since=" + periodSince($("period")) + "&page=" + view.page + "&per_page=" + PER_PAGE);
  view.pages = answer.pages;
  const body = $("alerts").tBodies[0];
  body.replaceChildren();
  for (const row of answer.alerts) {
    const tr = el("tr", undefined, row.kind);
    tr.dataset.rule = row.rule;
    const when = el("td", localTime(row.second));
    when.title = row.time + " (UTC)";
    const share = row.rule.startsWith("error_rate_") ? "%" : ""; // the rule's value: a share, or req/s
    tr.append(when, el("td", row.kind), el("td", row.label, "rule"), el("td", row.hits + share, "n"), el("td", row.message));
    body.append(tr);
    if (row.drivers) { // what drove the alert, as the terminal says it, on a line of its own
      tr.classList.add("has-drivers");
      const drivers = el("tr", undefined, "drivers");
      const text = el("td", row.drivers);
      text.colSpan = 4;
      drivers.append(el("td"), text);
      body.append(drivers);
    }
  }
  if (!answer.alerts.length) body.append(note("no alert in this period"));
  $("page").textContent = "page " + answer.page + " of " + answer.pages + " (" + answer.total + " transitions)";
  $("prev").disabled = answer.page <= 1;
  $("next").disabled = answer.page >= answer.pages;
}

async function loadChart() {
  const until = Math.floor(Date.now() / 1000);
  const answer = await getJSON("api/stats?since=" + (until - CHART_SECONDS) + "&until=" + (until + 60));
  const at = (name) => answer.columns.indexOf(name);
  view.points = answer.rows.map((row) => ({ time: row[at("time")], rate: row[at("rate")], average: row[at("window_rate")] }));
  drawChart();
}

function drawChart() {
  const chart = $("chart");
  chart.replaceChildren();
  const width = 900, height = 220, left = 40, bottom = 20;
  const points = view.points.filter((p) => p.rate !== null);
  const threshold = view.threshold || 0;
  const top = Math.max(threshold * 1.25, ...points.map((p) => Math.max(p.rate || 0, p.average || 0)), 1);
  const end = Math.max(Math.floor(Date.now() / 1000), ...points.map((p) => p.time));
  const start = end - CHART_SECONDS;
  const x = (t) => left + (width - left) * (t - start) / CHART_SECONDS;
  const y = (v) => 12 + (height - bottom - 12) * (1 - v / top);
  for (const fraction of [0, 0.5, 1]) {
    chart.append(svg("line", { x1: left, x2: width, y1: y(top * fraction), y2: y(top * fraction), class: "grid" }));
    const label = svg("text", { x: 2, y: y(top * fraction) + 4, class: "axis" });
    label.textContent = (top * fraction).toFixed(top < 10 ? 1 : 0);
    chart.append(label);
  }
  for (const t of [start, start + CHART_SECONDS / 2, end]) {
    const label = svg("text", { x: Math.min(x(t), width - 60), y: height - 4, class: "axis" });
    label.textContent = new Date(t * 1000).toLocaleTimeString();
    chart.append(label);
  }
  for (const [name, key] of [["rate", "rate"], ["average", "average"]]) {
    const inside = points.filter((p) => p.time >= start && p[key] !== null);
    if (inside.length) {
      chart.append(svg("polyline", { class: name, points: inside.map((p) => x(p.time) + "," + y(p[key])).join(" ") }));
      const last = inside[inside.length - 1]; // a dot on the newest: one report is no line yet
      chart.append(svg("circle", { class: "dot " + name, cx: x(last.time), cy: y(last[key]), r: 3 }));
    }
  }
  if (threshold) chart.append(svg("line", { x1: left, x2: width, y1: y(threshold), y2: y(threshold), class: "threshold" }));
  $("chart-note").textContent = "last hour, " + points.length + " reports";
}

async function refresh() {
  try {
    const state = await getJSON("api/report");
    view.rules = state.rules || [];
    showStatus(state.status);
    showReport(state.report);
    await Promise.all([loadAlerts(), loadChart(), loadSections()]);
  } catch (error) {
    $("link").textContent = "○ " + error.message;
  }
}

function connect() {
  const stream = new EventSource("events");
  stream.addEventListener("open", () => {
    $("link").textContent = "● live";
    $("link").className = "link live";
    refresh(); // after a restart of the monitor: all state afresh, nothing missed
  });
  stream.addEventListener("error", () => {
    $("link").textContent = "○ reconnecting…";
    $("link").className = "link";
  });
  stream.addEventListener("status", (event) => showStatus(JSON.parse(event.data)));
  stream.addEventListener("report", (event) => {
    const report = JSON.parse(event.data);
    showReport(report);
    if (report.rules) { view.rules = report.rules; showRules(); }
    if ($("sections-period").value !== "window") loadSections().catch(() => {}); // its rows are written now
    view.points.push({ time: report.second, rate: report.interval.rate, average: report.window.rate });
    drawChart();
  });
  stream.addEventListener("transition", (event) => {
    const transition = JSON.parse(event.data);
    const on = transition.kind === "alert";
    const since = on ? transition.second : null;
    // The rule's alert at once (its value comes with the next status or report).
    view.rules = view.rules.map((rule) =>
      rule.rule === transition.rule ? Object.assign({}, rule, { on: on, since: since, before: on && transition.onset === "before" }) : rule
    );
    if (view.status && transition.rule === "high_traffic") {
      showStatus(Object.assign({}, view.status, { alert_on: on, alert_since: since, rules: view.rules }));
    } else showRules();
    view.page = 1;
    loadAlerts();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  $("period").addEventListener("change", () => { view.page = 1; loadAlerts(); });
  $("prev").addEventListener("click", () => { view.page = Math.max(1, view.page - 1); loadAlerts(); });
  $("next").addEventListener("click", () => { view.page = Math.min(view.pages, view.page + 1); loadAlerts(); });
  $("sections-period").addEventListener("change", () => { view.sectionsPage = 1; loadSections(); });
  $("sections-prev").addEventListener("click", () => { view.sectionsPage = Math.max(1, view.sectionsPage - 1); loadSections(); });
  $("sections-next").addEventListener("click", () => {
    view.sectionsPage = Math.min(view.sectionsPages, view.sectionsPage + 1);
    loadSections();
  });
  connect();
});
