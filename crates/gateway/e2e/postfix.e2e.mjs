// The gateway behind a real Postfix (issue 14, item 6): a private Postfix instance on
// 127.0.0.1 asks `sendguard gateway` about every RCPT TO and relays accepted mail to
// `smtp-sink`; a client speaks SMTP to Postfix and sees what a sender's app would see.
// The policy is a signed bundle checked against a keyset made here, so the trust path is real:
// the main gateway reads it from a folder laid out as `sendguard export` writes it, polled
// every second, so a tampered bundle dropped there is refused while the last good stays.
// Two more smtpd listeners ask gateways run with --warn header and --warn hold; a fourth asks
// a gateway fed by a real `sendguard serve`, whose anonymous counts go back to that server.
// Needs root (or passwordless sudo) for Postfix; run by scripts/suites/70-gateway.sh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, chmodSync, rmSync, mkdirSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";

const SENDGUARD = process.env.SENDGUARD_BIN;
const asRoot = process.getuid() === 0 ? [] : ["sudo", "-n"];
const dir = mkdtempSync(join(tmpdir(), "sendguard-postfix-"));
const etc = join(dir, "etc");
const sinkFile = join(dir, "sink", "delivered.txt");
const children = [];
let postfixStarted = false;
let smtpPort, gatewayPort, headerSmtpPort, headerGatewayPort, holdSmtpPort, holdGatewayPort;
let reportSmtpPort, reportGatewayPort;

function run(cmd, args, options = {}) {
  const full = [...(options.root ? asRoot : []), cmd, ...args];
  const result = spawnSync(full[0], full.slice(1), { cwd: dir, encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0 && !options.mayFail) {
    throw new Error(`${full.join(" ")} exited ${result.status}: ${result.stderr}`);
  }
  return result;
}

function start(cmd, args, name) {
  const child = spawn(cmd, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  child.output = "";
  child.stdout.on("data", (d) => (child.output += d));
  child.stderr.on("data", (d) => (child.output += d));
  child.name = name;
  children.push(child);
  return child;
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `check` every 100 ms, at most 300 times (bounded; asserts nothing about time). */
async function waitFor(what, check) {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("connect", () => { socket.destroy(); resolve(true); });
    socket.on("error", () => resolve(false));
  });
}

/** A minimal SMTP client: one command at a time, multi-line replies joined. */
function smtpSession(port) {
  const socket = net.connect(port, "127.0.0.1");
  let buffer = "";
  let waiting = null;
  const tryReply = () => {
    if (!waiting) return;
    const lines = buffer.split("\r\n");
    for (let i = 0; i < lines.length - 1; i++) {
      if (/^\d{3} /.test(lines[i])) {
        const reply = lines.slice(0, i + 1).map((l) => l.slice(4)).join(" ");
        const code = Number(lines[i].slice(0, 3));
        buffer = lines.slice(i + 1).join("\r\n");
        const resolve = waiting.resolve;
        waiting = null;
        resolve({ code, text: `${code} ${reply}` });
        return;
      }
    }
  };
  socket.on("data", (d) => { buffer += d; tryReply(); });
  socket.on("error", (e) => waiting?.reject(e));
  socket.setTimeout(60_000, () => { waiting?.reject(new Error("SMTP reply timed out")); socket.destroy(); });
  const next = () => new Promise((resolve, reject) => { waiting = { resolve, reject }; tryReply(); });
  return {
    greeting: next(),
    async command(line) { socket.write(line + "\r\n"); return next(); },
    close() { socket.end(); },
  };
}

/** Submits one message from alice@example.org; returns the RCPT TO reply (and delivers on 250). */
async function send(recipient, token, port = smtpPort) {
  const smtp = smtpSession(port);
  try {
    assert.equal((await smtp.greeting).code, 220);
    assert.equal((await smtp.command("EHLO client.example.org")).code, 250);
    assert.equal((await smtp.command("MAIL FROM:<alice@example.org>")).code, 250);
    const rcpt = await smtp.command(`RCPT TO:<${recipient}>`);
    if (rcpt.code === 250) {
      assert.equal((await smtp.command("DATA")).code, 354);
      const message = `From: alice@example.org\r\nTo: ${recipient}\r\nSubject: ${token}\r\n\r\n${token}\r\n.`;
      assert.equal((await smtp.command(message)).code, 250);
    } else {
      await smtp.command("RSET");
    }
    await smtp.command("QUIT");
    return rcpt;
  } finally {
    smtp.close();
  }
}

const sinkText = () => (existsSync(sinkFile) ? readFileSync(sinkFile, "latin1") : "");
const timesDelivered = (token) => sinkText().split(`Subject: ${token}`).length - 1;

function signPolicy() {
  const sg = (args) => run(SENDGUARD, args);
  sg(["keygen", "--out", "root"]);
  sg(["keygen", "--out", "signer"]);
  writeFileSync(join(dir, "keyset.json"), sg(["keyset", "create", "--tenant", "acme", "--expires", "1y",
    "--root", "root.pub", "--signing-key", "signer.pub", "--sign", "root.secret"]).stdout);
  writeFileSync(join(dir, "policy.json"), JSON.stringify({ blocked_domains: ["ru"] }));
  const bundle = sg(["policy", "sign", "--key", "signer.secret", "--tenant", "acme", "--version", "1",
    "--expires", "30d", "policy.json"]).stdout;
  writeFileSync(join(dir, "policy.bundle"), bundle);
  // The same bundle with its signed payload changed (policy emptied), signature kept.
  const parsed = JSON.parse(bundle);
  const payload = JSON.parse(Buffer.from(parsed.payload, "base64").toString("utf8"));
  payload.policy = "{}";
  parsed.payload = Buffer.from(JSON.stringify(payload)).toString("base64");
  writeFileSync(join(dir, "tampered.bundle"), JSON.stringify(parsed));
  // The folder `sendguard export` would write.
  mkdirSync(join(dir, "export", "v1", "tenants", "acme"), { recursive: true });
  writeFileSync(join(dir, "export", "v1", "tenants", "acme", "policy"), bundle);
  writeFileSync(join(dir, "export", "v1", "tenants", "acme", "keyset"), readFileSync(join(dir, "keyset.json")));
}

function gatewayArgs(bundle, port = gatewayPort, warn = "confirm") {
  return ["gateway", "--listen", `127.0.0.1:${port}`, "--policy", bundle,
    "--trust", "keyset.json", "--tenant", "acme", "--warn", warn];
}

/** The main gateway: the policy from the exported folder, polled every second. */
function folderGatewayArgs() {
  return ["gateway", "--listen", `127.0.0.1:${gatewayPort}`, "--policy-dir", "export",
    "--trust", "keyset.json", "--tenant", "acme", "--state-dir", "gateway-state", "--poll-interval", "1s"];
}

/** An smtpd listener whose recipients are checked by the gateway on `policyPort`. */
function smtpdAsking(port, policyPort) {
  return `127.0.0.1:${port} inet n - n - - smtpd\n  -o smtpd_recipient_restrictions=check_policy_service,inet:127.0.0.1:${policyPort},permit_mynetworks,reject\n`;
}

function writePostfixConfig(sinkPort) {
  mkdirSync(etc);
  mkdirSync(join(dir, "queue"));
  mkdirSync(join(dir, "data"));
  run("chown", ["postfix", join(dir, "data")], { root: true });
  writeFileSync(join(etc, "main.cf"), [
    "compatibility_level = 3.6",
    `queue_directory = ${join(dir, "queue")}`,
    `data_directory = ${join(dir, "data")}`,
    "mail_owner = postfix",
    "myhostname = mail.example.org",
    "inet_interfaces = loopback-only",
    "inet_protocols = ipv4",
    "mydestination =",
    "alias_maps =",
    "alias_database =",
    `relayhost = [127.0.0.1]:${sinkPort}`,
    "mynetworks = 127.0.0.0/8",
    "maillog_file = /dev/stdout",
    `smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:${gatewayPort}, permit_mynetworks, reject`,
    // The end of each accepted message: the gateway learns its sender's history.
    `smtpd_end_of_data_restrictions = check_policy_service inet:127.0.0.1:${gatewayPort}`,
    "smtpd_policy_service_default_action = 451 4.3.5 Try again later: the recipient check is unavailable.",
    "smtpd_policy_service_timeout = 10s",
    "",
  ].join("\n"));
  const master = readFileSync("/usr/share/postfix/master.cf.dist", "utf8")
    .replace(/^smtp\s+inet\s.*$/m, `127.0.0.1:${smtpPort} inet n - n - - smtpd`);
  writeFileSync(join(etc, "master.cf"), master + smtpdAsking(headerSmtpPort, headerGatewayPort) +
    smtpdAsking(holdSmtpPort, holdGatewayPort) + smtpdAsking(reportSmtpPort, reportGatewayPort));
}

before(async () => {
  assert.ok(SENDGUARD, "SENDGUARD_BIN is set (scripts/suites/70-gateway.sh)");
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "sink"));
  chmodSync(join(dir, "sink"), 0o777);
  const sinkPort = await freePort();
  smtpPort = await freePort();
  gatewayPort = await freePort();
  headerSmtpPort = await freePort();
  headerGatewayPort = await freePort();
  holdSmtpPort = await freePort();
  holdGatewayPort = await freePort();
  reportSmtpPort = await freePort();
  reportGatewayPort = await freePort();
  signPolicy();
  writePostfixConfig(sinkPort);

  const sinkUser = process.getuid() === 0 ? ["-u", "postfix"] : [];
  start("smtp-sink", [...sinkUser, "-D", sinkFile, `127.0.0.1:${sinkPort}`, "100"], "smtp-sink");
  start(SENDGUARD, folderGatewayArgs(), "gateway");
  start(SENDGUARD, gatewayArgs("policy.bundle", headerGatewayPort, "header"), "gateway --warn header");
  start(SENDGUARD, gatewayArgs("policy.bundle", holdGatewayPort, "hold"), "gateway --warn hold");
  // Postfix logs to its stdout (maillog_file = /dev/stdout), which must be a file: with a
  // pipe its postlog exits 1 without a word.
  const [postfixCmd, ...postfixArgs] = [...asRoot, "postfix", "-c", etc, "start-fg"];
  const log = openSync(join(dir, "postfix.log"), "a");
  const postfix = spawn(postfixCmd, postfixArgs, { cwd: dir, stdio: ["ignore", log, log] });
  Object.defineProperty(postfix, "output", { get: () => readFileSync(join(dir, "postfix.log"), "utf8") });
  postfix.name = "postfix";
  children.push(postfix);
  postfixStarted = true;
  const listeners = [["smtp-sink", sinkPort], ["the gateway", gatewayPort], ["the header gateway", headerGatewayPort],
    ["the hold gateway", holdGatewayPort], ["Postfix", smtpPort], ["Postfix (header)", headerSmtpPort], ["Postfix (hold)", holdSmtpPort],
    ["Postfix (reports)", reportSmtpPort]];
  for (const [what, port] of listeners) {
    await waitFor(`${what} to listen on 127.0.0.1:${port}`, async () => {
      const dead = children.find((c) => c.exitCode !== null);
      if (dead) throw new Error(`${dead.name} exited ${dead.exitCode}: ${dead.output}`);
      return accepts(port);
    });
  }
});

after(() => {
  if (postfixStarted) run("postfix", ["-c", etc, "stop"], { root: true, mayFail: true });
  for (const child of children) if (child.exitCode === null) child.kill();
  if (!process.env.SENDGUARD_E2E_KEEP) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});

test("a lookalike is refused at RCPT TO with the engine's sentence; the resend goes through once", async () => {
  const first = await send("colonel.smith@army.ml", "lookalike-1");
  assert.equal(first.code, 554, first.text);
  assert.match(first.text, /5\.7\.1 <colonel\.smith@army\.ml>: Recipient address rejected: Check colonel\.smith@army\.ml: .*army\.mil/);
  assert.match(first.text, /If you meant it, send it again within 10 minutes\./);

  const resend = await send("colonel.smith@army.ml", "lookalike-2");
  assert.equal(resend.code, 250, resend.text);
  await waitFor("the confirmed resend to reach the sink", () => timesDelivered("lookalike-2") === 1);

  const third = await send("colonel.smith@army.ml", "lookalike-3");
  assert.equal(third.code, 554, `a confirmation lets one resend through, not more: ${third.text}`);
  assert.equal(timesDelivered("lookalike-1"), 0);
});

test("the right domain is delivered", async () => {
  const reply = await send("colonel.smith@army.mil", "right-domain");
  assert.equal(reply.code, 250, reply.text);
  await waitFor("army.mil mail to reach the sink", () => timesDelivered("right-domain") === 1);
});

test("the sender's history learnt from accepted mail catches a lookalike address", async () => {
  const first = await send("jonathan.smithers@partner.com", "history-1");
  assert.equal(first.code, 250, first.text);
  await waitFor("the first message to reach the sink", () => timesDelivered("history-1") === 1);
  const typo = await send("jonathan.smihters@partner.com", "history-2");
  assert.equal(typo.code, 554, typo.text);
  assert.match(typo.text, /jonathan\.smithers@partner\.com/);
  assert.equal(timesDelivered("history-2"), 0);
});

test("a blocked TLD (the policy blocks .ru) is refused and a resend does not pass", async () => {
  for (const token of ["blocked-1", "blocked-2"]) {
    const reply = await send("ivan@mail.ru", token);
    assert.equal(reply.code, 554, reply.text);
    assert.match(reply.text, /Recipient address rejected: .*mail\.ru/);
    assert.doesNotMatch(reply.text, /send it again/);
  }
});

test("a tampered policy is refused, at start and when it arrives, and the last good one stays in force", async () => {
  const tampered = run(SENDGUARD, gatewayArgs("tampered.bundle", await freePort()), { mayFail: true });
  assert.equal(tampered.status, 78, `tampered bundle refused with exit 78: ${tampered.stderr}`);

  // The running gateway finds the tampered bundle in its folder at its next poll.
  const gateway = children.find((c) => c.name === "gateway");
  writeFileSync(join(dir, "export", "v1", "tenants", "acme", "policy"), readFileSync(join(dir, "tampered.bundle")));
  await waitFor("the gateway to refuse the tampered bundle", () => gateway.output.includes("the fetched policy is refused"));
  assert.match(gateway.output, /the fetched policy is refused: .*; policy version 1 stays in force/);

  const blocked = await send("ivan@mail.ru", "after-tamper-blocked");
  assert.equal(blocked.code, 554, `the good policy (mail.ru blocked) is still in force: ${blocked.text}`);
  const right = await send("colonel.smith@army.mil", "after-tamper-right");
  assert.equal(right.code, 250, right.text);
  await waitFor("mail after the tamper attempt to reach the sink", () => timesDelivered("after-tamper-right") === 1);
  assert.equal(timesDelivered("blocked-1") + timesDelivered("blocked-2") + timesDelivered("after-tamper-blocked"), 0);
});

test("--warn header delivers a warned recipient with the X-Sendguard-Warning header", async () => {
  const reply = await send("colonel.smith@army.ml", "warn-header", headerSmtpPort);
  assert.equal(reply.code, 250, reply.text);
  await waitFor("the warned mail to reach the sink", () => timesDelivered("warn-header") === 1);
  // Only this gateway adds the header (the confirm one refuses or passes without it).
  assert.match(sinkText(), /X-Sendguard-Warning: Check colonel\.smith@army\.ml: [^\r\n]*army\.mil/);
  const blocked = await send("ivan@mail.ru", "warn-header-blocked", headerSmtpPort);
  assert.equal(blocked.code, 554, `a block is still a refusal: ${blocked.text}`);
});

test("--warn hold puts a warned message on hold until an administrator releases it", async () => {
  const reply = await send("colonel.smith@army.ml", "warn-hold", holdSmtpPort);
  assert.equal(reply.code, 250, reply.text);
  // Held messages are listed with `!` after their queue id.
  await waitFor("the message to be on hold", () => /^[0-9A-F]+!/m.test(run("postqueue", ["-c", etc, "-p"], { root: true, mayFail: true }).stdout));
  assert.equal(timesDelivered("warn-hold"), 0, "a held message is not delivered");
  run("postsuper", ["-c", etc, "-H", "ALL"], { root: true });
  run("postqueue", ["-c", etc, "-f"], { root: true, mayFail: true });
  await waitFor("the released message to reach the sink", () => timesDelivered("warn-hold") === 1);
});

/** A real `sendguard serve` on 127.0.0.1 with tenant acme's policy published; its URL and admin token. */
async function startPolicyServer(policy) {
  const server = start(SENDGUARD, ["serve", "--listen", "127.0.0.1:0", "--data-dir", "server-data"], "sendguard serve");
  await waitFor("the policy server to listen", () => {
    if (server.exitCode !== null) throw new Error(`sendguard serve exited ${server.exitCode}: ${server.output}`);
    return /listening on http:\/\/\S+/.test(server.output) && /^sgt_\S+$/m.test(server.output);
  });
  const url = server.output.match(/listening on (http:\/\/\S+)/)[1];
  const token = server.output.match(/^(sgt_\S+)$/m)[1];
  const admin = async (method, path, body) => {
    const response = await fetch(url + path, { method, body, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" } });
    assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
    return response.json();
  };
  await admin("POST", "/api/v1/tenants", JSON.stringify({ id: "acme" }));
  await admin("POST", "/api/v1/tenants/acme/policy", JSON.stringify(policy));
  writeFileSync(join(dir, "server-keyset.json"), await (await fetch(`${url}/v1/tenants/acme/keyset`)).text());
  return { url, admin };
}

test("a block at a gateway fed by a policy server is counted on that server, with no address", async () => {
  const server = await startPolicyServer({ blocked_domains: ["ru"] });
  const gateway = start(SENDGUARD, ["gateway", "--listen", `127.0.0.1:${reportGatewayPort}`, "--policy-url", server.url,
    "--trust", "server-keyset.json", "--tenant", "acme", "--state-dir", "report-gateway-state", "--report-interval", "1s"],
    "gateway --policy-url");
  await waitFor("the reporting gateway's policy", () => gateway.output.includes("policy version 1 in force"));
  const blocked = await send("ivan@mail.ru", "counted-block", reportSmtpPort);
  assert.equal(blocked.code, 554, blocked.text);
  let summary;
  await waitFor("the block to be counted on the server", async () => {
    summary = await server.admin("GET", "/api/v1/tenants/acme/reports?days=7");
    return summary.daily.some((d) => d.kind === "blocked_domain" && d.prevented === 1);
  });
  assert.equal(summary.installs, 1);
  assert.doesNotMatch(JSON.stringify(summary), /@|ivan|alice/);
});

test("with the gateway down, Postfix defers (451), never lets the mail through", async () => {
  const gateway = children.find((c) => c.name === "gateway");
  const exited = new Promise((resolve) => gateway.once("exit", resolve));
  gateway.kill();
  await exited;
  const reply = await send("colonel.smith@army.mil", "gateway-down");
  assert.equal(reply.code, 451, reply.text);
  assert.match(reply.text, /4\.3\.5 .*Try again later: the recipient check is unavailable\./);
  assert.equal(timesDelivered("gateway-down"), 0);
});
