// Sendguard console: glue between the page and the admin API (docs/server.md). No framework;
// every decision about drafts is made by the engine (WebAssembly), never here.
// Data from the server is always inserted as text (textContent), never as HTML.

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "sendguard-token";
// Each finding the policy sets an action for: a plain label and one line of help.
const ACTIONS = {
  lookalike_domain: ["A lookalike domain", "One slip from a known domain, such as arrny.mil or paypa1.com."],
  tld_trap: ["A country ending that mimics .mil, .com or .net", "Such as army.ml (Mali) for army.mil, where the sender has never written."],
  lookalike_address: ["A lookalike address", "One letter from a known contact at the same domain, such as jon.smith@ for john.smith@."],
  invalid_address: ["An address that cannot work", "A mistyped address, or an ending that does not exist, such as .con."],
  risky_destination: ["A high-risk country", "A domain ending listed as a high-risk destination in the full policy."],
  blocked_domain: ["A blocked domain", "A domain or ending on the blocked list above."],
  external_recipients: ["Many outside recipients", "More recipients outside the organisation than the full policy allows."],
};
const ACTION_VALUES = {
  allow: "Allow: say nothing",
  warn: "Warn: the sender may still send",
  block_with_justification: "Block unless the sender gives a reason",
  block: "Block: stop the email",
};
const DEFAULT_ACTION = { blocked_domain: "block" }; // every other action defaults to "warn"
const LIST_FIELDS = ["internal_domains", "trusted_domains", "blocked_domains"];

const state = { token: sessionStorage.getItem(TOKEN_KEY), tenant: null, engineModule: null };

/** Calls the admin API; answers its JSON (or text, with `{ raw: true }`); throws an Error
 * with `code`, `path` and `status` on failure. */
async function api(method, path, body, { raw = false } = {}) {
  const init = { method, headers: { Authorization: `Bearer ${state.token}` } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const error = new Error(data?.error?.message || `${response.status} ${response.statusText}`);
    Object.assign(error, { code: data?.error?.code, path: data?.error?.path, status: response.status });
    throw error;
  }
  return raw ? text : data;
}

function say(message) { $("status").textContent = message; }

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

function when(unixSeconds) {
  return new Date(unixSeconds * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

// ---- log in -------------------------------------------------------------------------------

async function logIn(token) {
  state.token = token;
  try {
    const me = await api("GET", "/api/v1/whoami");
    sessionStorage.setItem(TOKEN_KEY, token);
    $("who-name").textContent = `Logged in as ${me.name}${me.tenant ? ` (tenant ${me.tenant})` : ""}`;
    // Tenant-scoped tokens can manage neither tokens nor keys.
    state.scoped = Boolean(me.tenant);
    $("tokens-link").hidden = state.scoped;
    $("rotate").hidden = state.scoped;
    $("who").hidden = false;
    $("login").hidden = true;
    $("app").hidden = false;
    showView();
    await Promise.all([loadTenants(), me.tenant ? null : loadTokens()]);
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("login-error").textContent = error.status === 401 ? "That token is not valid (or was revoked)." : error.message;
  }
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  logIn($("token").value.trim());
});

// ---- tenants ------------------------------------------------------------------------------

async function loadTenants(select) {
  const tenants = await api("GET", "/api/v1/tenants");
  const picker = $("tenant");
  picker.replaceChildren(...tenants.map((t) => el("option", { value: t.id, textContent: t.name === t.id ? t.id : `${t.name} (${t.id})` })));
  const chosen = select || state.tenant || tenants[0]?.id;
  if (chosen) {
    picker.value = chosen;
    await openTenant(chosen);
  } else {
    say("Create a tenant to start.");
  }
}

$("tenant").addEventListener("change", () => openTenant($("tenant").value));

$("new-tenant-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("tenant-error").textContent = "";
  const id = $("new-tenant").value.trim();
  try {
    await api("POST", "/api/v1/tenants", { id });
    $("new-tenant").value = "";
    say(`Created tenant ${id}.`);
    await loadTenants(id);
  } catch (error) {
    $("tenant-error").textContent = error.message;
  }
});

async function openTenant(tenant) {
  state.tenant = tenant;
  await Promise.all([loadPolicy(), loadHistory(), loadKeys(), loadDeploy()]);
}

// ---- pages --------------------------------------------------------------------------------

const VIEWS = ["policy", "history", "keys", "tokens", "deploy"];

/** Shows the page the address names (#history ...), the policy editor by default. */
function showView() {
  let view = location.hash.slice(1);
  if (!VIEWS.includes(view) || (view === "tokens" && state.scoped)) view = "policy";
  for (const name of VIEWS) $(`view-${name}`).hidden = name !== view;
  for (const link of document.querySelectorAll("nav a[data-view]")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

window.addEventListener("hashchange", showView);

// ---- confirmation -------------------------------------------------------------------------

/** Asks before a change that reaches every mailbox: a title, what happens, a preview (a
 * node), an optional extra control; answers true only for the confirm button. Cancel is
 * focused first, and Escape cancels. */
function confirmChange({ title, text, preview, confirmLabel }) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-preview").replaceChildren(preview);
  $("confirm-ok").textContent = confirmLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// ---- policy editor ------------------------------------------------------------------------

function buildActionControls() {
  $("actions").replaceChildren(...Object.entries(ACTIONS).map(([name, [title, help]]) => {
    const select = el("select", { id: `f-action-${name}` });
    select.dataset.action = name;
    select.setAttribute("aria-describedby", `h-action-${name} block-note`);
    select.append(...Object.entries(ACTION_VALUES).map(([value, text]) => el("option", { value, textContent: text })));
    const label = el("label", { htmlFor: select.id, textContent: title });
    return el("div", { className: "action" }, label, el("p", { id: `h-action-${name}`, className: "help", textContent: help }), select);
  }));
}

function policyText() { return $("policy-json").value; }

/** Shows the JSON's values in the form fields (when the JSON parses). */
function formFromJson() {
  let policy;
  try { policy = JSON.parse(policyText()); } catch { return; }
  if (typeof policy !== "object" || policy === null) return;
  for (const field of LIST_FIELDS) {
    const value = policy[field];
    $(`f-${field}`).value = Array.isArray(value) ? value.join("\n") : "";
  }
  for (const name of Object.keys(ACTIONS)) {
    const value = policy.actions?.[name] ?? DEFAULT_ACTION[name] ?? "warn";
    $(`f-action-${name}`).value = value in ACTION_VALUES ? value : "warn";
  }
}

/** Writes a form field's value into the JSON (the JSON stays the single source of truth). */
function jsonFromForm(control) {
  let policy;
  try {
    policy = JSON.parse(policyText());
  } catch {
    showErrors({ path: "", message: "Fix the JSON below before using the form." });
    return;
  }
  if (control.dataset.list) {
    policy[control.dataset.list] = control.value.split("\n").map((s) => s.trim()).filter(Boolean);
  } else if (control.dataset.action) {
    policy.actions = { ...(policy.actions || {}), [control.dataset.action]: control.value };
  }
  $("policy-json").value = JSON.stringify(policy, null, 2) + "\n";
}

/** Puts an error next to the field its path names (`trusted_domains[1]` → trusted domains). */
function showErrors(error) {
  for (const node of document.querySelectorAll(".field-error")) node.textContent = "";
  for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  if (!error) return;
  const top = (error.path || "").split(/[.[]/)[0];
  const field = document.querySelector(`.field[data-path="${CSS.escape(top)}"]`) || document.querySelector('.field[data-path=""]');
  field.querySelector(".field-error").textContent = error.message;
  const control = error.path?.startsWith("actions.")
    ? $(`f-action-${error.path.split(".")[1]}`)
    : field.querySelector("textarea, select, input");
  control?.setAttribute("aria-invalid", "true");
}

let validateTimer = null;
function scheduleValidate() {
  clearTimeout(validateTimer);
  validateTimer = setTimeout(validate, 250);
}

async function validate() {
  const text = policyText();
  try {
    await api("POST", `/api/v1/tenants/${state.tenant}/policy/validate`, text);
    if (text !== policyText()) return; // edited meanwhile: a newer check is coming
    showErrors(null);
    $("validity").textContent = "The policy is valid.";
    return true;
  } catch (error) {
    if (text !== policyText()) return;
    showErrors(error);
    $("validity").textContent = error.code === "invalid_policy" ? "The policy is not valid: see the message next to the field." : error.message;
    return false;
  }
}

async function loadPolicy() {
  const current = await api("GET", `/api/v1/tenants/${state.tenant}/policy`);
  $("policy-json").value = current.policy;
  $("policy-version").textContent = current.version ? `version ${current.version}` : "(nothing published yet)";
  formFromJson();
  showErrors(null);
  $("validity").textContent = "";
}

for (const field of LIST_FIELDS) {
  $(`f-${field}`).addEventListener("input", (event) => { jsonFromForm(event.target); scheduleValidate(); });
}
$("actions").addEventListener("change", (event) => { jsonFromForm(event.target); scheduleValidate(); });
$("policy-json").addEventListener("input", () => { formFromJson(); scheduleValidate(); });

$("policy-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const published = await api("POST", `/api/v1/tenants/${state.tenant}/policy`, policyText());
    showErrors(null);
    say(`Published version ${published.version} for ${published.tenant}, signed with key ${published.key_id}.`);
    $("policy-version").textContent = `version ${published.version}`;
    await loadHistory();
  } catch (error) {
    showErrors(error);
    say(`Not published: ${error.message}`);
  }
});

// ---- simulator ----------------------------------------------------------------------------

async function engineModule() {
  if (!state.engineModule) {
    const module = await import("/wasm/sendguard.js");
    await module.default();
    state.engineModule = module;
  }
  return state.engineModule;
}

const lines = (id) => $(id).value.split("\n").map((s) => s.trim()).filter(Boolean);

$("sim-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const out = $("sim-result");
  let module;
  try {
    module = await engineModule();
  } catch {
    out.replaceChildren(el("p", { className: "error", textContent: "The engine is not built into this server: build it with scripts/build-release (or scripts/build-wasm and set wasm_dir)." }));
    return;
  }
  let engine;
  try {
    engine = module.Engine.fromPolicyJson(policyText());
    const draft = { to: lines("sim-to"), cc: lines("sim-cc"), bcc: [], subject: $("sim-subject").value, body: $("sim-body").value, attachments: [] };
    const verdict = engine.check(draft, { known: lines("sim-known") });
    out.replaceChildren(renderVerdict(verdict));
  } catch (error) {
    out.replaceChildren(el("p", { className: "error", textContent: `Cannot simulate: ${error.message}` }));
  } finally {
    engine?.free?.();
  }
});

function renderVerdict(verdict) {
  const box = el("div", { className: `verdict ${verdict.action}` });
  box.append(el("p", {}, el("strong", { textContent: `Verdict: ${verdict.action}` })));
  if (verdict.summary) {
    box.append(el("p", { textContent: "What the sender sees:" }), el("pre", { className: "dialog", textContent: verdict.summary }));
  }
  const list = el("ul");
  for (const finding of verdict.findings) {
    const fix = finding.fix ? ` Fix: ${finding.fix}.` : "";
    const kind = ACTIONS[finding.kind]?.[0] ?? finding.kind.replaceAll("_", " ");
    list.append(el("li", { textContent: `${kind} (${ACTION_VALUES[finding.action] ?? finding.action}): ${finding.message}${fix}` }));
  }
  if (verdict.findings.length) box.append(list);
  return box;
}

// ---- history ------------------------------------------------------------------------------

function renderDiff(diff) {
  const pre = el("pre");
  for (const line of diff.split("\n")) {
    const className = line.startsWith("+") && !line.startsWith("+++") ? "diff-add" : line.startsWith("-") && !line.startsWith("---") ? "diff-del" : "";
    pre.append(el("span", { className, textContent: line + "\n" }));
  }
  return pre;
}

async function loadHistory() {
  const history = await api("GET", `/api/v1/tenants/${state.tenant}/history`);
  const list = $("history");
  if (!history.length) {
    list.replaceChildren(el("li", { className: "muted", textContent: "Nothing published yet." }));
    return;
  }
  list.replaceChildren(...history.map((entry, i) => {
    const title = (entry.renewal_of
      ? `Version ${entry.version}, renewed by the server ${when(entry.published_at)} (the same policy as version ${entry.renewal_of}, signed again before it expires)`
      : `Version ${entry.version}, published by ${entry.published_by}, ${when(entry.published_at)}`
        + (entry.rollback_of ? ` (roll back to version ${entry.rollback_of})` : "")) + (i === 0 ? " (current)" : "");
    const item = el("li", { className: "version" }, el("span", { textContent: title }));
    item.dataset.version = entry.version;
    if (entry.diff) {
      item.append(el("details", {}, el("summary", { textContent: `Changes from version ${entry.version - 1}` }), renderDiff(entry.diff)));
    }
    if (i > 0) {
      const button = el("button", { type: "button", className: "secondary", textContent: `Roll back to version ${entry.version}…` });
      button.addEventListener("click", () => rollBack(entry.version));
      item.append(el("div", {}, button));
    }
    return item;
  }));
}

async function rollBack(version) {
  let detail;
  try {
    detail = await api("GET", `/api/v1/tenants/${state.tenant}/history/${version}`);
  } catch (error) {
    say(`Roll back failed: ${error.message}`);
    return;
  }
  const preview = detail.rollback_diff
    ? el("div", {}, el("p", { textContent: "Changes from the current policy:" }), renderDiff(detail.rollback_diff))
    : el("p", { textContent: "No change: the current policy is the same text." });
  const ok = await confirmChange({
    title: `Roll back ${state.tenant} to version ${version}?`,
    text: `Version ${version}'s policy is published again as a new version and reaches every add-in of ${state.tenant} at its next refresh.`,
    preview,
    confirmLabel: `Roll back to version ${version}`,
  });
  if (!ok) {
    say("Roll back cancelled: nothing changed.");
    return;
  }
  try {
    const published = await api("POST", `/api/v1/tenants/${state.tenant}/rollback`, { version });
    say(`Rolled back: version ${published.version} now carries version ${version}'s policy.`);
    await Promise.all([loadPolicy(), loadHistory()]);
  } catch (error) {
    say(`Roll back failed: ${error.message}`);
  }
}

// ---- keys ---------------------------------------------------------------------------------

async function loadKeys() {
  const keys = await api("GET", "/api/v1/keys");
  const mine = keys.keysets.find((k) => k.tenant === state.tenant);
  const rows = [
    ["Signing key", keys.signing_key_id],
    ["Root key", keys.root_key_id || "offline (not on this server)"],
    ["Keyset version", mine ? String(mine.version) : "none"],
    ["Keyset URL", `/v1/tenants/${state.tenant}/keyset`],
    ["Policy URL", `/v1/tenants/${state.tenant}/policy`],
  ];
  $("keys").replaceChildren(...rows.flatMap(([term, value]) => [el("dt", { textContent: term }), el("dd", { textContent: value })]));
}

$("rotate").addEventListener("click", async () => {
  let keys;
  try {
    keys = await api("GET", "/api/v1/keys");
  } catch (error) {
    say(`Rotation failed: ${error.message}`);
    return;
  }
  const list = el("ul", { className: "tenants-changing" }, ...keys.keysets.map((k) =>
    el("li", { textContent: `${k.tenant}: keyset version ${k.version} becomes ${k.version + 1}` })));
  const revoke = el("input", { type: "checkbox", id: "revoke-old" });
  const preview = el("div", {},
    el("p", { textContent: keys.keysets.length ? "These tenants' keysets change:" : "No tenant has a keyset yet." }), list,
    el("div", { className: "check" }, revoke,
      el("label", { htmlFor: "revoke-old", textContent: "The old key was stolen: revoke it, and sign every tenant's current policy again as a new version" })));
  const ok = await confirmChange({
    title: "Rotate the signing key?",
    text: `A new key signs every policy from now on (the current key is ${keys.signing_key_id}). Add-ins take the new keysets at their next refresh.`,
    preview,
    confirmLabel: "Rotate the key",
  });
  if (!ok) {
    say("Rotation cancelled: nothing changed.");
    return;
  }
  try {
    const rotated = await api("POST", "/api/v1/keys/rotate", { revoke_old: revoke.checked });
    say(`New signing key ${rotated.signing_key_id}; every tenant's keyset now lists it.`);
    await Promise.all([loadKeys(), loadHistory(), loadDeploy()]);
  } catch (error) {
    say(`Rotation failed: ${error.message}`);
  }
});

// ---- deploy -------------------------------------------------------------------------------

/** Offers `text` as a file download. */
function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function loadDeploy() {
  const deploy = await api("GET", `/api/v1/tenants/${state.tenant}/deploy`);
  state.deploy = deploy;
  $("deploy-tenant").textContent = `for ${deploy.tenant}`;
  $("deploy-server").textContent = deploy.public_url_set
    ? `Add-ins reach this server at ${deploy.server_url}.`
    : `Add-ins would reach this server at ${deploy.server_url}, guessed from this page: set public_url (SENDGUARD_PUBLIC_URL) to the https address users reach it at.`;
  $("xpi-problem").textContent = deploy.thunderbird.problem || "";
  $("policies-json").textContent = JSON.stringify(deploy.thunderbird.policies_json, null, 2);
  $("outlook-problem").textContent = deploy.outlook.problem || "";
  $("download-manifest").disabled = Boolean(deploy.outlook.problem);
  $("keyset-url").textContent = `${deploy.server_url}/v1/tenants/${deploy.tenant}/keyset`;
  $("deploy-keyset").textContent = deploy.keyset;
}

$("download-policies").addEventListener("click", () =>
  download("policies.json", JSON.stringify(state.deploy.thunderbird.policies_json, null, 2) + "\n", "application/json"));
$("download-keyset").addEventListener("click", () => download(`${state.deploy.tenant}-keyset.json`, state.deploy.keyset, "application/json"));
$("download-manifest").addEventListener("click", async () => {
  const mode = $("send-mode").value;
  try {
    const xml = await api("GET", `${state.deploy.outlook.manifest_path}?send_mode=${encodeURIComponent(mode)}`, undefined, { raw: true });
    download(`sendguard-${state.deploy.tenant}-manifest.xml`, xml, "application/xml");
    say(`Outlook manifest for ${state.deploy.tenant} (SendMode ${mode}) downloaded.`);
  } catch (error) {
    $("outlook-problem").textContent = error.message;
  }
});

// ---- tokens -------------------------------------------------------------------------------

async function loadTokens() {
  const tokens = await api("GET", "/api/v1/tokens");
  $("tokens").replaceChildren(...tokens.map((t) => {
    const row = el("tr", {},
      el("td", { textContent: t.name }),
      el("td", { textContent: t.tenant || "all" }),
      el("td", { textContent: `${when(t.created_at)}${t.created_by ? ` by ${t.created_by}` : ""}` }),
      el("td", { textContent: t.revoked_at ? `revoked ${when(t.revoked_at)}` : "active" }));
    const action = el("td");
    if (!t.revoked_at) {
      const button = el("button", { type: "button", className: "secondary", textContent: `Revoke ${t.name}` });
      button.addEventListener("click", () => revokeToken(t));
      action.append(button);
    }
    row.append(action);
    return row;
  }));
}

async function revokeToken(token) {
  try {
    await api("DELETE", `/api/v1/tokens/${token.id}`);
    say(`Revoked token ${token.name}.`);
    await loadTokens();
  } catch (error) {
    $("token-error").textContent = error.message;
  }
}

$("new-token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("token-error").textContent = "";
  const name = $("new-token-name").value.trim();
  const tenant = $("new-token-tenant").value.trim();
  try {
    const created = await api("POST", "/api/v1/tokens", tenant ? { name, tenant } : { name });
    $("new-token").textContent = `Token for ${created.name} (copy it now, it is not shown again): ${created.token}`;
    $("new-token-form").reset();
    await loadTokens();
  } catch (error) {
    $("token-error").textContent = error.message;
  }
});

$("logout").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

// ---- start --------------------------------------------------------------------------------

buildActionControls();
if (state.token) logIn(state.token);
