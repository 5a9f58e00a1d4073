// The end-to-end harness: a real Thunderbird (Debian's package) under Xvfb, with a generated
// profile, the extensions under test installed unsigned, the local SMTP sink, and a
// collector on 127.0.0.1 through which the test-only driver extension takes scenarios and
// reports outcomes. Every wait has a time limit; everything started here is stopped here.

import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { startSmtpSink } from "./smtp-sink.mjs";
import { writeProfile } from "./profile.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Resolves with `probe()`'s first truthy answer, polling, or rejects after `ms`.
 * @template T
 * @param {string} what said in the error
 * @param {() => T | undefined | Promise<T | undefined>} probe
 * @param {number} ms
 * @returns {Promise<T>}
 */
export async function waitFor(what, probe, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Packs a folder into an .xpi (a zip), with extra generated files. */
export function packXpi(dir, out, extraFiles = {}) {
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), "sendguard-xpi-"));
  fs.cpSync(dir, staging, { recursive: true });
  for (const [name, text] of Object.entries(extraFiles)) {
    fs.mkdirSync(path.dirname(path.join(staging, name)), { recursive: true });
    fs.writeFileSync(path.join(staging, name), text);
  }
  fs.rmSync(out, { force: true });
  execFileSync("zip", ["-q", "-r", "-X", out, "."], { cwd: staging });
  fs.rmSync(staging, { recursive: true, force: true });
}

/** Copies an .xpi and adds generated files to the copy (the shipped file is not touched). */
export function xpiWithExtraFiles(xpi, out, files) {
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), "sendguard-xpi-extra-"));
  fs.copyFileSync(xpi, out);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(staging, name)), { recursive: true });
    fs.writeFileSync(path.join(staging, name), text);
  }
  execFileSync("zip", ["-q", "-X", out, ...Object.keys(files)], { cwd: staging });
  fs.rmSync(staging, { recursive: true, force: true });
}

/**
 * A small JSON collector: routes are `METHOD /path` → handler(body) → answer.
 * @param {Record<string, (body: any, url: URL) => any>} routes
 */
async function startCollector(routes) {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      const url = new URL(req.url || "/", "http://127.0.0.1");
      const route = routes[`${req.method} ${url.pathname}`];
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      try {
        const answer = await route(body ? JSON.parse(body) : undefined, url);
        res.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*" });
        res.end(JSON.stringify(answer === undefined ? {} : answer));
      } catch (e) {
        res.writeHead(500).end(String(e));
      }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", () => r(undefined)));
  return {
    port: /** @type {any} */ (server.address()).port,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      })
  };
}

/** Starts Xvfb on a free display; resolves with its number. */
async function startXvfb(stopList) {
  const xvfb = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x900x24", "-nolisten", "tcp"], {
    stdio: ["ignore", "ignore", "pipe", "pipe"]
  });
  stopList.push(() => xvfb.kill("SIGTERM"));
  let stderr = "";
  /** @type {import("node:stream").Readable} */ (xvfb.stderr).on("data", (c) => (stderr += c));
  const display = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("Xvfb did not start in 10 s: " + stderr)), 10000);
    /** @type {any} */ (xvfb.stdio[3]).on("data", (c) => {
      clearTimeout(timer);
      resolve(":" + String(c).trim());
    });
    xvfb.on("exit", (code) => reject(new Error(`Xvfb exited (${code}): ${stderr}`)));
  });
  return display;
}

/**
 * Starts the whole rig. `extensions` are the xpis under test (the driver is added here).
 * `hookRoutes` answer requests from the extension's test hook (`POST /hook/...`).
 * `extensions` may be a function of the collector's port and a scratch folder.
 * `seed`: scenarios the driver plays first in a Thunderbird of its own, without the extensions
 * under test (contacts, sent mail); its address book and Sent folder are then copied into the
 * profile under test before its first start, as a sender who used Thunderbird before
 * installing them. (A profile's extensions are started at its first run; one added to a
 * profile that ran before is registered but its background page is not started.)
 * @param {{ extensions: { id: string, xpi: string }[] | ((port: number, work: string) => { id: string, xpi: string }[]),
 *   sender: { name: string, email: string }, seed?: { name: string, [k: string]: any }[],
 *   hookRoutes?: Record<string, (body: any, url: URL) => any>, homeFiles?: Record<string, string> }} options
 */
export async function startThunderbird(options) {
  /** @type {(() => void | Promise<void>)[]} */
  const stopList = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "sendguard-tb-e2e-"));
  const stop = async () => {
    for (const s of stopList.reverse()) {
      try {
        await s();
      } catch (e) {
        // Keep stopping the rest.
      }
    }
    fs.rmSync(work, { recursive: true, force: true });
  };
  try {
    const sink = await startSmtpSink();
    stopList.push(() => sink.close());

    /** @type {{ name: string, [k: string]: any }[]} */
    const queue = [];
    /** @type {Map<string, any>} */
    const outcomes = new Map();
    let driverReady = undefined;
    let stopped = false;
    /** How many times Thunderbird was started (the seeding run, then the one under test). */
    let launches = 0;
    stopList.push(() => {
      stopped = true;
    });
    const collector = await startCollector({
      "POST /driver/ready": (body) => {
        driverReady = body;
      },
      "GET /driver/next": async () => {
        // Long poll: hand over the next scenario when the test queues one. A poll from a
        // Thunderbird stopped since (the seeding run) takes none.
        const mine = launches;
        const next = () => (mine !== launches || stopped ? { done: true } : queue.length ? { scenario: queue.shift() } : undefined);
        return waitFor("a scenario", next, 600000);
      },
      "POST /driver/outcome": (body) => {
        outcomes.set(body.name, body);
      },
      ...(options.hookRoutes || {})
    });
    stopList.push(() => collector.close());

    const driverXpi = path.join(work, "driver.xpi");
    packXpi(path.join(here, "driver"), driverXpi, {
      "config.js": `const SENDGUARD_E2E = ${JSON.stringify({ collectorPort: collector.port })};\n`
    });
    const driver = { id: "e2e-driver@sendguard.test", xpi: driverXpi };
    const underTest = typeof options.extensions === "function" ? options.extensions(collector.port, work) : options.extensions;
    const profile = path.join(work, "profile");
    writeProfile(profile, { smtpPort: sink.port, sender: options.sender, extensions: [...underTest, driver] });
    const home = path.join(work, "home");
    for (const [name, text] of Object.entries(options.homeFiles || {})) {
      fs.mkdirSync(path.dirname(path.join(home, name)), { recursive: true });
      fs.writeFileSync(path.join(home, name), text);
    }
    fs.mkdirSync(home, { recursive: true });

    const display = await startXvfb(stopList);
    const log = path.join(work, "thunderbird.log");
    const readLog = () => fs.readFileSync(log, "utf8");
    /** Starts Thunderbird on a profile; resolves with a function that stops it, once the driver is ready. */
    const launch = async (profile) => {
      driverReady = undefined;
      launches += 1;
      const logFd = fs.openSync(log, "a");
      const tb = spawn("thunderbird", ["--no-remote", "--profile", profile], {
        env: { ...process.env, DISPLAY: display, HOME: home, XDG_CONFIG_HOME: path.join(home, ".config"), MOZ_CRASHREPORTER_DISABLE: "1" },
        stdio: ["ignore", logFd, logFd],
        detached: true
      });
      const stopThunderbird = async () => {
        try {
          process.kill(-(/** @type {number} */ (tb.pid)), "SIGTERM");
        } catch (e) {
          return;
        }
        await waitFor("Thunderbird to exit", () => tb.exitCode !== null || tb.signalCode !== null, 10000).catch(() => {
          process.kill(-(/** @type {number} */ (tb.pid)), "SIGKILL");
        });
      };
      stopList.push(stopThunderbird);
      await waitFor("the driver extension to start in Thunderbird", () => driverReady, 60000).catch((e) => {
        throw new Error(e.message + "\n--- Thunderbird log ---\n" + readLog());
      });
      return stopThunderbird;
    };

    if (options.seed) {
      const seedProfile = path.join(work, "seed-profile");
      writeProfile(seedProfile, { smtpPort: sink.port, sender: options.sender, extensions: [driver] });
      const stopSeeding = await launch(seedProfile);
      for (const scenario of options.seed) {
        queue.push(scenario);
        const outcome = await waitFor(`the seed scenario "${scenario.name}"`, () => outcomes.get(scenario.name), 60000);
        if (outcome.result !== "sent" && outcome.result !== "done") throw new Error(`seeding failed: ${JSON.stringify(outcome)}\n--- Thunderbird log ---\n${readLog()}`);
      }
      await stopSeeding();
      // The address book and the Sent folder with its index, timestamps kept (a changed mbox
      // would be indexed again later, not at once).
      for (const file of ["abook.sqlite", "abook.sqlite-wal", "Mail/Local Folders/Sent", "Mail/Local Folders/Sent.msf"]) {
        if (!fs.existsSync(path.join(seedProfile, file))) continue;
        fs.mkdirSync(path.dirname(path.join(profile, file)), { recursive: true });
        fs.cpSync(path.join(seedProfile, file), path.join(profile, file), { preserveTimestamps: true });
      }
    }
    await launch(profile);

    return {
      display,
      profile,
      thunderbirdVersion: /** @type {any} */ (driverReady).version,
      sink,
      readLog,
      /** What the driver reported under `name`, if it did. */
      outcome: (name) => outcomes.get(name),
      /**
       * Composes and sends one scenario; resolves with the driver's outcome.
       * @param {{ name: string, to: string[], cc?: string[], subject: string, body: string }} scenario
       */
      async send(scenario, ms = 60000) {
        queue.push(scenario);
        return waitFor(`the outcome of "${scenario.name}"`, () => outcomes.get(scenario.name), ms);
      },
      /**
       * Saves a PNG of the window whose title starts with `title` (the window itself: a
       * capture of the whole screen shows windows opened later as black under Xvfb).
       */
      screenshot(file, title) {
        const tree = execFileSync("xwininfo", ["-root", "-tree", "-display", display]).toString();
        const line = tree.split("\n").find((l) => l.includes(` "${title}`));
        if (!line) throw new Error(`no window titled "${title}…" in:\n${tree}`);
        const id = line.trim().split(" ")[0];
        const big = { maxBuffer: 64 << 20 };
        const xwd = execFileSync("xwd", ["-id", id, "-silent", "-display", display], big);
        const pnm = execFileSync("xwdtopnm", [], { ...big, input: xwd, stdio: ["pipe", "pipe", "ignore"] });
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, execFileSync("pnmtopng", [], { ...big, input: pnm, stdio: ["pipe", "pipe", "ignore"] }));
      },
      stop
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
