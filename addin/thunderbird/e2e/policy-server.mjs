// The real policy server (`sendguard serve`) on 127.0.0.1 for the end-to-end test, with a
// small pass-through proxy in front that can tamper with policy bundles in transit (the
// attack the signature must stop). The proxy records what it forwarded, so the test knows
// when the extension fetched a policy and opened the event stream. What the server stored
// can be read straight from its SQLite database (`query`, with Debian's sqlite3).

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";

/**
 * Starts `sendguard serve` with a fresh data directory; resolves once it listens.
 * @param {string} binary path to the `sendguard` binary
 */
export async function startPolicyServer(binary) {
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: build it with \`cargo build -p sendguard-cli\` (or set SENDGUARD_BIN)`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sendguard-server-"));
  const child = spawn(binary, ["serve", "--listen", "127.0.0.1:0", "--data-dir", path.join(dataDir, "data")], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" }
  });
  // However the run ends (a failed start, a failed test, an interrupted run), the server
  // stops and its data directory goes.
  const cleanUp = () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  process.once("exit", cleanUp);
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  const lines = readline.createInterface({ input: child.stdout });
  /** @type {string | undefined} */
  let token;
  /** @type {string} */
  let address;
  try {
    address = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("sendguard serve did not start in 20 s: " + stderr)), 20000);
      lines.on("line", (line) => {
        if (line.startsWith("sgt_")) token = line.trim();
        const m = /^sendguard: listening on (http:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(new Error(`sendguard serve could not start (${binary}): ${e.message}`));
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`sendguard serve exited (${code}): ${stderr}`));
      });
    });
  } catch (e) {
    cleanUp();
    throw e;
  }
  const admin = async (method, urlPath, body) => {
    const response = await fetch(address + urlPath, { method, headers: { authorization: `Bearer ${token}` }, body });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${urlPath}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const database = path.join(dataDir, "data", "sendguard.sqlite");
  return {
    url: address,
    /**
     * Rows the server stored, read from its database (WAL: readers never wait for it).
     * @param {string} sql one SELECT
     * @returns {Record<string, any>[]}
     */
    query: (sql) => {
      const out = execFileSync("sqlite3", ["-json", database, sql]).toString().trim();
      return out ? JSON.parse(out) : [];
    },
    /** The admin API's summary of a tenant's reports (the console's Dashboard). */
    reportSummary: (tenant, days = 1) => admin("GET", `/api/v1/tenants/${tenant}/reports?days=${days}`),
    createTenant: (id) => admin("POST", "/api/v1/tenants", JSON.stringify({ id })),
    publish: (tenant, policy) => admin("POST", `/api/v1/tenants/${tenant}/policy`, JSON.stringify(policy)),
    keyset: async (tenant) => (await fetch(`${address}/v1/tenants/${tenant}/keyset`)).text(),
    /** A new signing key and each tenant's next keyset; `revokeOld`: the old key was stolen. */
    rotateKey: (revokeOld) => admin("POST", "/api/v1/keys/rotate", JSON.stringify({ revoke_old: revokeOld })),
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once("exit", r)));
      cleanUp();
      process.removeListener("exit", cleanUp);
    }
  };
}

/**
 * Changes a DSSE policy bundle's signed statement without re-signing: the policy inside
 * loses its blocked domains. What an attacker between server and client could do.
 * @param {string} bundle
 */
export function tamperWithBundle(bundle) {
  const envelope = JSON.parse(bundle);
  const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
  const policy = JSON.parse(statement.policy);
  policy.blocked_domains = [];
  statement.policy = JSON.stringify(policy);
  envelope.payload = Buffer.from(JSON.stringify(statement)).toString("base64");
  return JSON.stringify(envelope);
}

/**
 * A proxy to `upstream` on 127.0.0.1. `tamper = true` rewrites policy bundles in transit.
 * `requests` records every request whole (method, URL, headers, body), for the privacy check.
 * @param {string} upstream
 */
export async function startProxy(upstream) {
  /** @type {{ path: string, status: number, tampered: boolean }[]} */
  const log = [];
  /** @type {{ method: string, url: string, headers: string, body: string }[]} */
  const requests = [];
  const state = { tamper: false };
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const seen = { method: req.method || "", url: req.url || "", headers: JSON.stringify(req.headers), body: "" };
    requests.push(seen);
    req.on("data", (c) => (seen.body += c));
    const url = new URL(req.url || "/", upstream);
    const forward = http.request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (up) => {
      const isBundle = req.method === "GET" && /\/v1\/tenants\/[^/]+\/policy$/.test(url.pathname) && up.statusCode === 200;
      if (isBundle && state.tamper) {
        let body = "";
        up.setEncoding("utf8");
        up.on("data", (c) => (body += c));
        up.on("end", () => {
          const tampered = tamperWithBundle(body);
          const headers = { ...up.headers, "content-length": Buffer.byteLength(tampered) };
          res.writeHead(200, headers).end(tampered);
          log.push({ path: url.pathname, status: 200, tampered: true });
        });
        return;
      }
      log.push({ path: url.pathname, status: up.statusCode || 0, tampered: false });
      res.writeHead(up.statusCode || 502, up.headers);
      up.pipe(res);
    });
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", () => r(undefined)));
  return {
    url: `http://127.0.0.1:${/** @type {any} */ (server.address()).port}`,
    log,
    requests,
    state,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(r);
      })
  };
}
