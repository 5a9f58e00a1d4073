// Sendguard console: the Dashboard page. Shows what the devices' daily counts say (the
// admin API's summary, `GET /api/v1/tenants/{t}/reports`): slips prevented over time by
// kind, what senders did with each rule (override rates: noisy rules stand out), monitor
// versus enforced, the typo destinations to block, and justifications where recorded.
// Decides nothing about drafts; server data is inserted as text only.

import { stackedBars } from "./charts.js";

/** A rule senders go past at least this often, once shown this many times, is called noisy. */
const NOISY_RATE = 0.5;
const NOISY_MIN_SHOWN = 10;

/** The page's element with this id (any kind). */
const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

/** Every day from `from` to `to` (`YYYY-MM-DD`, UTC), in order. */
export function daysBetween(from, to) {
  const days = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`) && days.length < 1000; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

const percent = (rate) => (rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)}%`);
const sum = (rows, field) => rows.reduce((total, row) => total + row[field], 0);

/** Whether the policy counts `kind` only (monitor mode). */
function monitored(policy, kind) {
  return Boolean(policy?.monitor?.all || policy?.monitor?.kinds?.includes(kind));
}

/** A table body's rows, or one row saying there is nothing. */
function fill(tbody, rows, columns, empty) {
  tbody.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colSpan: columns, className: "muted", textContent: empty }))]));
}

/**
 * Loads and shows the dashboard.
 * @param {{ api: (method: string, path: string) => Promise<any>, tenant: string, days: number,
 *           policy: any, label: (kind: string) => string,
 *           blockDomain: (domain: string) => void }} context
 */
export async function loadDashboard({ api, tenant, days, policy, label, blockDomain }) {
  const summary = await api("GET", `/api/v1/tenants/${tenant}/reports?days=${days}`);
  $("dashboard-tenant").textContent = `for ${tenant}, ${summary.from} to ${summary.to}`;
  const reporting = policy?.reporting?.enabled !== false;
  $("dashboard-reporting").hidden = reporting;
  $("dashboard-reporting").textContent = reporting ? "" : "Reporting is switched off in this tenant's policy: devices send nothing, so these figures stop growing.";
  showTotals(summary);
  showDaily(summary, label);
  showRules(summary, policy, label);
  showDomains(summary, policy, label, blockDomain);
  showJustifications(summary, policy, label);
}

function showTotals(summary) {
  const figures = [
    ["Slips prevented", sum(summary.daily, "prevented")],
    ["Warnings overridden", sum(summary.daily, "overridden")],
    ["Counted in monitor mode (not shown)", sum(summary.daily, "monitored")],
    ["Installs reporting", summary.installs],
  ];
  $("dashboard-totals").replaceChildren(...figures.map(([term, value]) =>
    el("div", {}, el("dt", { textContent: term }), el("dd", { textContent: value.toLocaleString("en") }))));
}

function showDaily(summary, label) {
  const days = daysBetween(summary.from, summary.to);
  const kinds = [...new Set(summary.daily.map((d) => d.kind))].sort();
  const prevented = new Map(summary.daily.map((d) => [`${d.day} ${d.kind}`, d.prevented]));
  const series = kinds.map((kind) => ({ name: label(kind), values: days.map((day) => prevented.get(`${day} ${kind}`) || 0) }));
  const total = sum(summary.daily, "prevented");
  const busiest = series.map((s) => [s.name, s.values.reduce((a, b) => a + b, 0)]).sort((a, b) => b[1] - a[1])[0];
  const description = total
    ? `${total} slips prevented from ${summary.from} to ${summary.to}; most were ${busiest[0]} (${busiest[1]}). The table below lists every day.`
    : `No slips prevented from ${summary.from} to ${summary.to}.`;
  $("dashboard-chart").replaceChildren(stackedBars({ id: "chart-prevented", title: "Slips prevented per day, by kind", summary: description, categories: days, series }));
  const rows = summary.daily.filter((d) => d.prevented || d.overridden || d.monitored).map((d) => el("tr", {},
    el("td", { textContent: d.day }), el("td", { textContent: label(d.kind) }),
    el("td", { textContent: String(d.prevented) }), el("td", { textContent: String(d.overridden) }), el("td", { textContent: String(d.monitored) })));
  fill($("dashboard-daily").tBodies[0], rows, 5, "No reports in this period.");
}

function showRules(summary, policy, label) {
  const rows = summary.rules.map((rule) => {
    const shown = rule.prevented + rule.overridden;
    const noisy = rule.override_rate !== null && rule.override_rate >= NOISY_RATE && shown >= NOISY_MIN_SHOWN;
    const name = rule.detector ? `${label(rule.kind)}: ${rule.detector}` : label(rule.kind);
    const rate = el("td", {});
    if (rule.override_rate !== null) {
      const meter = el("meter", { min: 0, max: 1, value: rule.override_rate, high: NOISY_RATE, optimum: 0, low: 0.2 });
      meter.setAttribute("aria-label", `${name}: overridden ${percent(rule.override_rate)} of the time`);
      rate.append(meter, ` ${percent(rule.override_rate)}`);
    } else {
      rate.append("—");
    }
    const row = el("tr", { className: noisy ? "noisy" : "" },
      el("th", { scope: "row", textContent: name }),
      el("td", { textContent: rule.action.replaceAll("_", " ") }),
      el("td", { textContent: monitored(policy, rule.kind) ? "Monitor (counted only)" : "Enforced" }),
      el("td", { textContent: String(shown) }),
      el("td", { textContent: String(rule.overridden) }),
      rate,
      el("td", { textContent: String(rule.monitored) }),
      el("td", { textContent: noisy ? "Noisy: most senders go past it" : "" }));
    row.dataset.kind = rule.kind;
    return row;
  });
  fill($("dashboard-rules").tBodies[0], rows, 8, "No warnings were shown or counted in this period.");
}

function showDomains(summary, policy, label, blockDomain) {
  const blocked = new Set(policy?.blocked_domains || []);
  $("dashboard-domains-help").textContent = `Destination domains of lookalike and country-ending findings that at least ${summary.min_installs} installs reported; each install counts once a day.`
    + (summary.hidden_domains ? ` ${summary.hidden_domains} more, reported by fewer installs, are not named.` : "");
  const rows = summary.domains.map((d) => {
    const action = el("td");
    if (blocked.has(d.domain)) {
      action.append("Blocked");
    } else {
      const button = el("button", { type: "button", className: "secondary", textContent: `Add ${d.domain} to blocked domains` });
      button.addEventListener("click", () => blockDomain(d.domain));
      action.append(button);
    }
    const row = el("tr", {},
      el("th", { scope: "row", textContent: d.domain }), el("td", { textContent: label(d.kind) }),
      el("td", { textContent: String(d.installs) }), el("td", { textContent: String(d.install_days) }), action);
    row.dataset.domain = d.domain;
    return row;
  });
  fill($("dashboard-domains").tBodies[0], rows, 5, "No destination was reported by enough installs yet.");
}

function showJustifications(summary, policy, label) {
  $("dashboard-justifications-help").textContent = policy?.reporting?.record_justifications
    ? "What senders wrote to release a block that takes a reason: the one thing in a report that a sender typed."
    : "Not recorded: this tenant's policy does not set reporting.record_justifications (off by default).";
  const rows = summary.justifications.map((j) => el("tr", {},
    el("td", { textContent: j.day }), el("td", { textContent: label(j.kind) }), el("td", { textContent: j.text })));
  fill($("dashboard-justifications").tBodies[0], rows, 3, "None in this period.");
}
