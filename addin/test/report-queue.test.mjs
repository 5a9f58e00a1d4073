// The add-ins' daily report (addin/shared/report-queue.js): tallies summed per day and policy
// version, kept while offline (bounded), each finished day sent once, today's on request,
// a policy with reporting off empties the queue; and, with the real engine on every
// JavaScript path, the tally of a verdict carries no address (and is the same on each).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createReportQueue, mergeTally, REPORT_LIMITS } from "../shared/report-queue.js";
import { loadAll } from "./engines.mjs";

const DAY = 86_400_000;
const START = Date.parse("2026-12-01T09:00:00Z");

/** A queue with memory storage, a clock the test moves and a server the test scripts. */
function harness(answers = []) {
  const world = { text: null, now: START, requests: [], answers };
  const queue = createReportQueue({
    storage: { read: () => Promise.resolve(world.text), write: (text) => { world.text = text; return Promise.resolve(); } },
    fetch: (url, init) => {
      world.requests.push({ url, body: JSON.parse(init.body) });
      const answer = world.answers.length ? world.answers.shift() : { status: 200 };
      if (answer.offline) return Promise.reject(new TypeError("Failed to fetch"));
      return Promise.resolve({ status: answer.status, json: () => Promise.resolve(answer.body || {}) });
    },
    url: "https://guard.example.test/v1/tenants/acme/reports",
    randomBytes: (n) => new Uint8Array(n).map((_, i) => i * 17),
    now: () => world.now,
  });
  return { world, queue };
}

const trap = (outcome) => ({
  enabled: true,
  counts: [{ kind: "tld_trap", action: "warn", outcome, count: 1 }],
  domains: [{ kind: "tld_trap", domain: "army.ml", count: 1 }],
});

describe("report queue", () => {
  test("tallies add up per day and version; a finished day is sent once, with a random install id", async () => {
    const { world, queue } = harness();
    await queue.add(trap("fixed"), 3);
    await queue.add(trap("fixed"), 3);
    await queue.add(trap("sent_anyway"), 3);
    assert.deepEqual(await queue.flush(), { sent: 0, waiting: 1, off: false }, "today is not over");
    assert.equal(world.requests.length, 0);
    world.now += DAY;
    await queue.add(trap("fixed"), 4);
    assert.deepEqual(await queue.flush(), { sent: 1, waiting: 1, off: false });
    const [{ url, body }] = world.requests;
    assert.equal(url, "https://guard.example.test/v1/tenants/acme/reports");
    assert.deepEqual(Object.keys(body).sort(), ["counts", "day", "domains", "install_id", "justifications", "policy_version"]);
    assert.match(body.install_id, /^[0-9a-f]{32}$/);
    assert.equal(body.day, "2026-12-01");
    assert.equal(body.policy_version, 3);
    assert.deepEqual(body.counts, [
      { kind: "tld_trap", action: "warn", outcome: "fixed", count: 2 },
      { kind: "tld_trap", action: "warn", outcome: "sent_anyway", count: 1 },
    ]);
    assert.deepEqual(body.domains, [{ kind: "tld_trap", domain: "army.ml", count: 3 }]);
    await queue.flush();
    assert.equal(world.requests.length, 1, "a day is sent once");
  });

  test("today's batch is sent on request (shutdown) and stays to be replaced by the full day", async () => {
    const { world, queue } = harness();
    await queue.add(trap("fixed"), 1);
    await queue.flush({ includeToday: true });
    await queue.add(trap("fixed"), 1);
    world.now += DAY;
    await queue.flush();
    assert.equal(world.requests.length, 2);
    assert.equal(world.requests[1].body.counts[0].count, 2, "the whole day, not the rest of it");
    assert.equal(world.requests[0].body.install_id, world.requests[1].body.install_id);
  });

  test("offline or rate-limited: the days wait; refused for good: dropped; reporting off: emptied", async () => {
    const { world, queue } = harness([{ offline: true }, { status: 429 }, { status: 400 }, { status: 200 }]);
    await queue.add(trap("fixed"), 1);
    world.now += DAY;
    await queue.add(trap("fixed"), 1);
    world.now += DAY;
    assert.deepEqual(await queue.flush(), { sent: 0, waiting: 2, off: false }, "offline");
    assert.deepEqual(await queue.flush(), { sent: 0, waiting: 2, off: false }, "429");
    assert.deepEqual(await queue.flush(), { sent: 2, waiting: 0, off: false }, "400 drops the first, the second goes");
    await queue.add(trap("fixed"), 1);
    world.now += DAY;
    world.answers.push({ status: 403, body: { error: { code: "reporting_off" } } });
    assert.deepEqual(await queue.flush(), { sent: 0, waiting: 0, off: true });
    assert.deepEqual((await queue.pending()).batches, []);
  });

  test("bounded: days, counts and domains stay within what the server accepts", async () => {
    const { world, queue } = harness();
    for (let i = 0; i < REPORT_LIMITS.batches + 5; i++) {
      await queue.add(trap("fixed"), 1);
      world.now += DAY;
    }
    const pending = await queue.pending();
    assert.equal(pending.batches.length, REPORT_LIMITS.batches);
    assert.equal(pending.batches[0].day, "2026-12-06", "the oldest days went first");
    const batch = { day: "2026-12-01", policy_version: 1, counts: [], domains: [], justifications: [] };
    for (let i = 0; i < REPORT_LIMITS.domains + 10; i++) {
      mergeTally(batch, { enabled: true, counts: [{ kind: "tld_trap", action: "warn", outcome: "fixed", count: 9000 }], domains: [{ kind: "tld_trap", domain: `d${i}.ml`, count: 1 }] });
    }
    assert.equal(batch.domains.length, REPORT_LIMITS.domains);
    assert.equal(batch.counts[0].count, REPORT_LIMITS.count, "counts saturate");
  });

  test("a tally with reporting off, or nothing in it, queues nothing", async () => {
    const { world, queue } = harness();
    await queue.add({ enabled: false, counts: [], domains: [] }, 1);
    await queue.add({ enabled: true, counts: [], domains: [] }, 1);
    assert.equal(world.text, null);
  });
});

describe("the engine's tally on every JavaScript path", () => {
  test("counts and domains only: no address, no name, no subject; the same on each path", async () => {
    const draft = {
      from: "Alice <alice@army.mil>", to: ["Colonel Smith <colonel.smith@army.ml>", "bob@gmial.com"],
      subject: "Itinerary", body: "Card 4111 1111 1111 1111", attachments: [],
    };
    const answers = [];
    for (const [kind, engines] of Object.entries(await loadAll())) {
      const engine = engines.Engine.fromPolicyJson('{"monitor": {"kinds": ["lookalike_domain"]}}');
      const verdict = engine.check(draft, { known: [] });
      const tally = engine.reportTally({ verdict, outcome: "fixed" });
      const text = JSON.stringify(tally);
      assert.doesNotMatch(text, /@|colonel|smith|alice|itinerary|4111/i, `${kind}: ${text}`);
      assert.ok(tally.domains.some((d) => d.domain === "army.ml"), `${kind}: ${text}`);
      assert.ok(tally.counts.some((c) => c.outcome === "monitored"), `${kind}: the monitored lookalike is counted`);
      assert.throws(() => engine.reportTally({ verdict, outcome: "blocked" }), { code: "bad_outcome" });
      answers.push(text);
      engine.free?.();
    }
    assert.equal(answers.length, 4);
    assert.equal(new Set(answers).size, 1, "every path tallies alike");
  });
});
