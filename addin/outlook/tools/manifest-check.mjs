// The offline structural check of an Outlook XML manifest (Microsoft's validator is an online
// service): well-formed XML, required elements present and in schema order, every resid
// resolving to a resource of the right kind, https URLs only, the icon sizes Outlook needs,
// and the Smart Alerts wiring (one OnMessageSend and one OnAppointmentSend with the same valid
// SendMode, the compose events of the background refresh, their runtime, Mailbox 1.12).
//   node addin/outlook/tools/manifest-check.mjs manifest.xml   (exit 1 and the problems if any)
import { readFileSync } from "node:fs";
import { DOMParser } from "@xmldom/xmldom";

const XSI = "http://www.w3.org/2001/XMLSchema-instance";

// Child order per element, from the manifest schemas (appforoffice 1.1, mail version
// overrides 1.0/1.1). "?" optional, "*" optional and repeatable, "+" required, repeatable.
const ORDER = {
  OfficeApp: ["Id", "AlternateId?", "Version", "ProviderName", "DefaultLocale", "DisplayName", "Description",
    "IconUrl", "HighResolutionIconUrl", "SupportUrl", "AppDomains?", "Hosts", "Requirements", "FormSettings",
    "Permissions", "Rule", "DisableEntityHighlighting?", "VersionOverrides"],
  VersionOverridesV1_0: ["Description?", "Requirements?", "Hosts?", "Resources?", "VersionOverrides"],
  VersionOverridesV1_1: ["Description?", "Requirements", "Hosts", "Resources"],
  MailHost: ["Runtimes", "DesktopFormFactor", "MobileFormFactor?"],
  Button: ["Label", "Supertip", "Icon", "Action"],
  Supertip: ["Title", "Description"],
  LaunchEvent: ["LaunchEvents", "SourceLocation"],
  Resources: ["bt:Images", "bt:Urls", "bt:ShortStrings", "bt:LongStrings?"]
};

// Which resource list a resid on an element must resolve in.
const RESID_KIND = {
  "bt:Image": "bt:Images", Label: "bt:ShortStrings", Title: "bt:ShortStrings",
  Description: "bt:LongStrings", SourceLocation: "bt:Urls", Runtime: "bt:Urls", Override: "bt:Urls"
};

const SEND_MODES = ["PromptUser", "SoftBlock", "Block"];
/** The send checks (one each, with a SendMode) and the compose events that refresh the policy. */
const SEND_EVENTS = ["OnMessageSend", "OnAppointmentSend"];
const COMPOSE_EVENTS = ["OnNewMessageCompose", "OnNewAppointmentOrganizer"];

const elements = (node) => Array.from(node.childNodes || []).filter((n) => n.nodeType === 1);
const all = (node, name) => Array.from(node.getElementsByTagName(name));
const typeOf = (el) => el.getAttributeNS(XSI, "type") || "";
const where = (el) => `<${el.nodeName}${el.getAttribute("id") ? ` id="${el.getAttribute("id")}"` : ""}> (line ${el.lineNumber})`;

/** Checks that `el`'s children follow `order`; answers problems. */
function checkOrder(el, order) {
  const problems = [];
  const children = elements(el).map((c) => c.nodeName);
  let at = 0;
  for (const spec of order) {
    const name = spec.replace(/[?*+]$/, "");
    const optional = spec.endsWith("?") || spec.endsWith("*");
    const repeat = spec.endsWith("*") || spec.endsWith("+");
    let count = 0;
    while (at < children.length && children[at] === name && (repeat || count === 0)) { at++; count++; }
    if (count === 0 && !optional) problems.push(`${where(el)}: missing <${name}> (or out of order)`);
  }
  if (at < children.length) problems.push(`${where(el)}: <${children[at]}> is unexpected or out of schema order`);
  return problems;
}

/**
 * @param {string} xml the manifest
 * @returns {string[]} problems; empty when the manifest passes
 */
export function checkManifest(xml) {
  const problems = [];
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, message) => { if (level !== "warning") problems.push(`not well-formed XML: ${message}`); }
    }).parseFromString(xml, "text/xml");
  } catch (e) {
    problems.push(`not well-formed XML: ${e.message}`);
  }
  if (problems.length) return problems;
  const root = doc.documentElement;
  if (!root || root.nodeName !== "OfficeApp" || typeOf(root) !== "MailApp") return ["the root must be <OfficeApp xsi:type=\"MailApp\">"];

  // Schema order.
  problems.push(...checkOrder(root, ORDER.OfficeApp));
  for (const vo of all(root, "VersionOverrides")) {
    const order = ORDER[typeOf(vo)];
    if (!order) problems.push(`${where(vo)}: unknown xsi:type "${typeOf(vo)}"`);
    else problems.push(...checkOrder(vo, order));
  }
  for (const host of all(root, "Host").filter((h) => typeOf(h) === "MailHost")) problems.push(...checkOrder(host, ORDER.MailHost));
  for (const control of all(root, "Control").filter((c) => typeOf(c) === "Button")) problems.push(...checkOrder(control, ORDER.Button));
  for (const tip of all(root, "Supertip")) problems.push(...checkOrder(tip, ORDER.Supertip));
  for (const resources of all(root, "Resources")) problems.push(...checkOrder(resources, ORDER.Resources));
  const extensionPoints = all(root, "ExtensionPoint");
  for (const ep of extensionPoints.filter((e) => typeOf(e) === "LaunchEvent")) problems.push(...checkOrder(ep, ORDER.LaunchEvent));

  // Resource ids: unique, at most 32 characters, and every resid resolves to the right kind.
  const resources = new Map();
  for (const kind of ["bt:Images", "bt:Urls", "bt:ShortStrings", "bt:LongStrings"]) {
    for (const list of all(root, kind)) {
      for (const item of elements(list)) {
        const id = item.getAttribute("id");
        if (!id) problems.push(`${where(item)} in <${kind}> has no id`);
        else if (resources.has(id)) problems.push(`resource id "${id}" is defined twice`);
        else if (id.length > 32) problems.push(`resource id "${id}" is longer than 32 characters`);
        else resources.set(id, { kind, item });
      }
    }
  }
  for (const el of all(root, "*").filter((e) => e.hasAttribute("resid"))) {
    const resid = el.getAttribute("resid");
    const found = resources.get(resid);
    const expected = RESID_KIND[el.nodeName];
    if (!found) problems.push(`${where(el)}: resid "${resid}" does not resolve`);
    else if (expected && found.kind !== expected) problems.push(`${where(el)}: resid "${resid}" is in <${found.kind}>, expected <${expected}>`);
  }

  // URLs: https only.
  const urlElements = ["IconUrl", "HighResolutionIconUrl", "SupportUrl", "SourceLocation", "bt:Image", "bt:Url"];
  for (const name of urlElements) {
    for (const el of all(root, name).filter((e) => e.hasAttribute("DefaultValue"))) {
      const value = el.getAttribute("DefaultValue");
      /** @type {URL | null} */
      let url = null;
      try { url = new URL(value); } catch { /* reported below */ }
      if (!url || url.protocol !== "https:") problems.push(`${where(el)}: "${value}" is not an https URL`);
    }
  }
  for (const el of all(root, "AppDomain")) {
    if (!/^https:\/\/[^/\s]+$/.test(el.textContent.trim())) problems.push(`${where(el)}: "${el.textContent}" is not an https origin`);
  }

  // Icons: the add-in's two, and 16/32/80 on every button.
  for (const name of ["IconUrl", "HighResolutionIconUrl"]) {
    if (all(root, name).length !== 1) problems.push(`<${name}> must appear once`);
  }
  for (const icon of all(root, "Icon")) {
    const sizes = elements(icon).map((i) => i.getAttribute("size"));
    for (const size of ["16", "32", "80"]) if (!sizes.includes(size)) problems.push(`${where(icon.parentNode)}: icon size ${size} is missing`);
  }

  // Smart Alerts wiring.
  const launchEvents = all(root, "LaunchEvent");
  for (const type of SEND_EVENTS) {
    const found = launchEvents.filter((e) => e.getAttribute("Type") === type).length;
    if (found !== 1) problems.push(`there must be exactly one ${type} LaunchEvent, found ${found}`);
  }
  for (const type of COMPOSE_EVENTS) {
    if (!launchEvents.some((e) => e.getAttribute("Type") === type)) problems.push(`there must be a ${type} LaunchEvent (the background policy refresh)`);
  }
  const sendModes = new Set();
  for (const send of launchEvents) {
    const isSend = SEND_EVENTS.includes(send.getAttribute("Type"));
    if (!isSend && !COMPOSE_EVENTS.includes(send.getAttribute("Type"))) problems.push(`${where(send)}: unknown LaunchEvent Type ${send.getAttribute("Type")}`);
    if (isSend && !SEND_MODES.includes(send.getAttribute("SendMode"))) problems.push(`${where(send)}: SendMode must be one of ${SEND_MODES.join(", ")}`);
    if (isSend) sendModes.add(send.getAttribute("SendMode"));
    if (!isSend && send.hasAttribute("SendMode")) problems.push(`${where(send)}: only send events take a SendMode`);
    if (!/^[A-Za-z_$][\w$]*$/.test(send.getAttribute("FunctionName") || "")) problems.push(`${where(send)}: FunctionName is not a JavaScript name`);
    const ep = send.parentNode.parentNode;
    const source = elements(ep).find((e) => e.nodeName === "SourceLocation");
    const runtimes = all(root, "Runtime").map((r) => r.getAttribute("resid"));
    if (!source || !runtimes.includes(source.getAttribute("resid"))) problems.push("the LaunchEvent's SourceLocation must name a <Runtime>'s resid");
  }
  for (const runtime of all(root, "Runtime")) {
    const override = elements(runtime).find((e) => e.nodeName === "Override" && e.getAttribute("type") === "javascript");
    if (!override) problems.push(`${where(runtime)}: no <Override type="javascript"> for classic Outlook on Windows`);
  }
  if (sendModes.size > 1) problems.push("OnMessageSend and OnAppointmentSend must have the same SendMode");
  const sets = all(root, "bt:Sets").filter((s) => elements(s).some((e) => e.getAttribute("Name") === "Mailbox"));
  const minimum = sets.map((s) => s.getAttribute("DefaultMinVersion")).find(Boolean);
  if (!minimum || Number(minimum.split(".")[1]) < 12 || minimum.split(".")[0] !== "1") problems.push("the VersionOverrides must require Mailbox 1.12 or later (OnMessageSend)");

  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(all(root, "Id")[0]?.textContent.trim() || "")) problems.push("<Id> must be a GUID");
  return problems;
}

/** The ids of the manifest's buttons (commandId candidates). */
export function controlIds(xml) {
  const doc = new DOMParser().parseFromString(xml, "text/xml");
  return all(doc.documentElement, "Control").map((c) => c.getAttribute("id"));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const file = process.argv[2];
  if (!file) { console.error("usage: node manifest-check.mjs MANIFEST.xml"); process.exit(64); }
  const problems = checkManifest(readFileSync(file, "utf8"));
  for (const p of problems) console.error(`${file}: ${p}`);
  if (problems.length) process.exit(1);
  console.log(`${file}: ok`);
}
