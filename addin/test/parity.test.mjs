// Every corpus case and every signed-bundle vector gives the same result through the ES
// module, the classic script with WebAssembly, the classic script's pure-JavaScript fallback,
// and the lean classic script of the HTML pages; verdicts are also the same as the native
// command line's. Any difference fails. The message table (tests/messages) gives its exact
// sentences through every path.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { canonical, loadAll, outcome, ROOT } from "./engines.mjs";
import { nativeVerdict } from "./native.mjs";

const CORPUS_DIRS = [join(ROOT, "tests", "corpus"), join(ROOT, "addin", "test", "cases")];
const VECTORS = join(ROOT, "tests", "vectors", "bundles");

function corpusCases() {
  return CORPUS_DIRS.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => ({ name: f, ...JSON.parse(readFileSync(join(dir, f), "utf8")) }))
  );
}

let engines;
before(async () => {
  engines = await loadAll();
});

/** Checks one case with one engine; a throw is an outcome too (and then a difference). */
function jsVerdict(core, c) {
  return outcome(() => {
    const engine = core.Engine.fromPolicyJson(JSON.stringify(c.policy ?? {}));
    try {
      const context = { known: c.known ?? [] };
      // `history`: the lines of a history text (docs/history-format.md).
      if (c.history !== undefined) context.history = c.history.join("\n");
      return engine.check(c.draft, context);
    } finally {
      engine.free();
    }
  });
}

describe("corpus: native, ES module, classic WebAssembly, classic JavaScript and classic web agree", () => {
  const cases = corpusCases();
  test("the corpus is there", () => assert.ok(cases.length >= 10, `only ${cases.length} cases`));
  for (const c of cases) {
    test(c.name, () => {
      const native = canonical(nativeVerdict(c));
      for (const [name, core] of Object.entries(engines)) {
        assert.equal(canonical(jsVerdict(core, c)), native, `${name} differs from native on ${c.name}`);
      }
      if (c.expect?.action) assert.equal(JSON.parse(native).action, c.expect.action, c.description);
    });
  }
});

describe("the message table (tests/messages): every path gives the table's sentences and summary", () => {
  const table = JSON.parse(readFileSync(join(ROOT, "tests", "messages", "messages.json"), "utf8"));
  const sentences = (findings) => findings.map((f) => [f.kind, f.recipient ?? null, f.message, f.detail ?? null]);
  for (const c of table.cases) {
    test(c.name, () => {
      for (const [name, core] of Object.entries(engines)) {
        const verdict = JSON.parse(canonical(jsVerdict(core, c)));
        assert.deepEqual(sentences(verdict.findings ?? []), sentences(c.findings), `${name}: ${canonical(verdict)}`);
        assert.equal(verdict.summary, c.summary, name);
      }
    });
  }
});

describe("the sender's history: the same texts, summaries and verdicts through every path", () => {
  const history = "#sendguard-history 1\njohn.smith@lockheedmartin.com\t12\t20400\tJohn Smith\nnot a line\n";
  const send = { recipients: ["Zoë Brandt <zoe@b\u00fccher.de>", "nonsense", "John Smith <john.smith@lockheedmartin.com>"], now_day: 20401 };
  test("learnHistory, trimHistory and historySummary agree", () => {
    const answers = Object.entries(engines).map(([name, core]) => {
      const learnt = core.learnHistory(history, send);
      const imported = core.learnHistory(learnt, { recipients: ["ann@acme.com"], now_day: 20402, import: true });
      return { name, answer: { learnt, imported, trimmed: core.trimHistory(imported, { max_bytes: 80 }), summary: { ...core.historySummary(history) } } };
    });
    const first = answers[0].answer;
    assert.equal(first.learnt, "#sendguard-history 1\njohn.smith@lockheedmartin.com\t13\t20401\tJohn Smith\nzoe@b\u00fccher.de\t1\t20401\tZoë Brandt\n");
    assert.ok(first.imported.includes("ann@acme.com\t0\t20402\t\n"), first.imported);
    assert.ok(new TextEncoder().encode(first.trimmed).length <= 80, first.trimmed);
    assert.deepEqual(first.summary, { entries: 1, last_day: 20400, rejected: 1 });
    for (const { name, answer } of answers.slice(1)) assert.equal(JSON.stringify(answer), JSON.stringify(first), name);
  });
  test("bad options are bad_request everywhere", () => {
    for (const [name, core] of Object.entries(engines)) {
      const result = outcome(() => core.learnHistory("", { recipients: [], now_day: -1 }));
      assert.equal(result.error?.code, "bad_request", name);
      assert.equal(outcome(() => core.trimHistory("", { max_bites: 1 })).error?.code, "bad_request", name);
    }
  });
  test("a check uses the history it is given, and only that one", () => {
    const draft = { to: ["jon.smith@lockheedmartin.com"] };
    for (const [name, core] of Object.entries(engines)) {
      const engine = core.Engine.fromPolicyJson("{}");
      try {
        const verdicts = [history, undefined, history, "", history].map((h) => engine.check(draft, h === undefined ? {} : { history: h }));
        const fixes = verdicts.map((v) => v.findings[0]?.fix ?? null);
        const fix = "john.smith@lockheedmartin.com";
        assert.deepEqual(fixes, [fix, null, fix, null, fix], name);
        assert.equal(outcome(() => engine.check(draft, { history: 7 })).error?.code, "bad_context", name);
      } finally {
        engine.free();
      }
    }
  });
  test("a history beyond ASCII is read the same through every path", () => {
    // Longer in UTF-8 than in UTF-16 units (the glues' first room is one byte a unit), with
    // a character outside the BMP and a lone surrogate (read as U+FFFD).
    const text = "#sendguard-history 1\nzoe@b\u00fccher.de\t3\t20400\tZo\u00eb Br\u00e4ndt \u{1F98A}\nanna@m\u00fcnchen.de\t2\t20300\tAnna \uD800 Ross\n";
    const draft = { to: ["zoa@b\u00fccher.de", "Anna Ross <anna@munchen.de>"] };
    const verdicts = Object.entries(engines).map(([name, core]) => {
      const engine = core.Engine.fromPolicyJson("{}");
      try {
        return { name, verdict: canonical(engine.check(draft, { history: text })) };
      } finally {
        engine.free();
      }
    });
    const fixes = JSON.parse(verdicts[0].verdict).findings.map((f) => f.fix);
    assert.ok(fixes.includes("zoe@b\u00fccher.de"), JSON.stringify(fixes));
    for (const { name, verdict } of verdicts) assert.deepEqual(verdict, verdicts[0].verdict, name);
  });
});

describe("engine versions agree", () => {
  test("version()", () => {
    const versions = Object.values(engines).map((core) => core.version());
    assert.match(versions[0], /^\d+\.\d+\.\d+/);
    assert.equal(versions.length, 4);
    assert.deepEqual(versions, versions.map(() => versions[0]));
  });
});

describe("bad input: the same error code and message through every path", () => {
  const bad = {
    "policy with an unknown field": (core) => core.Engine.fromPolicyJson('{"actions": {"tld_trapp": "warn"}}'),
    "policy that is not JSON": (core) => core.Engine.fromPolicyJson("{"),
    "draft with a wrong type": (core) => core.Engine.fromPolicyJson("{}").check({ to: "a@b.c" }, { known: [] }),
    "draft with an unknown field": (core) => core.Engine.fromPolicyJson("{}").check({ too: [] }, { known: [] }),
    "draft that is not an object": (core) => core.Engine.fromPolicyJson("{}").check(42, { known: [] }),
    "bundle request without a tenant": (core) =>
      core.Engine.fromBundle(new Uint8Array([123, 125]), new Uint8Array([123, 125]), { now: 1 })
  };
  for (const [name, call] of Object.entries(bad)) {
    test(name, () => {
      const results = Object.entries(engines).map(([path, core]) => [path, outcome(() => call(core))]);
      for (const [path, result] of results) assert.ok(result.error?.code, `${path} did not fail: ${canonical(result)}`);
      const [first] = results;
      for (const [path, result] of results.slice(1)) {
        assert.equal(result.error.code, first[1].error.code, `${path} vs ${first[0]}`);
        if (!name.startsWith("bundle request")) assert.equal(result.error.message, first[1].error.message, path);
      }
    });
  }
  test("a draft error names the field", () => {
    const result = outcome(() => engines["classic-js"].Engine.fromPolicyJson("{}").check({ to: [1] }, {}));
    assert.equal(result.error.code, "bad_draft");
    assert.match(result.error.message, /to\[0\]/);
  });
});

describe("keysets: every keyset vector through every path", () => {
  const manifest = JSON.parse(readFileSync(join(VECTORS, "manifest.json"), "utf8"));
  const vectors = manifest.vectors.filter((v) => v.kind === "keyset");
  test("there are keyset vectors", () => assert.ok(vectors.length >= 5));
  for (const v of vectors) {
    test(v.name, () => {
      const keyset = new Uint8Array(readFileSync(join(VECTORS, v.file)));
      const current = v.trust.keyset ? new Uint8Array(readFileSync(join(VECTORS, v.trust.keyset))) : null;
      const request = { tenant: v.tenant, now: v.now };
      if (v.trust.pinned_roots) request.pinned_roots = manifest.pinned_roots;
      const results = Object.entries(engines).map(([path, core]) => [path, outcome(() => core.verifyKeyset(keyset, current, request))]);
      for (const [path, result] of results.slice(1)) {
        assert.equal(canonical(result), canonical(results[0][1]), `${path} differs from ${results[0][0]}`);
      }
      const result = results[0][1];
      if (v.expect.result === "accepted") assert.equal(result.version, v.expect.version, canonical(result));
      else assert.equal(result.error?.code, v.expect.code, canonical(result));
      const info = result.error ? result.error.keyset : result;
      for (const field of ["version", "expires_at"]) {
        if (field in v.expect) assert.equal(info?.[field], v.expect[field], `${v.name}: ${field}`);
      }
    });
  }
});

describe("signed policy bundles: every vector through every path", () => {
  const manifest = JSON.parse(readFileSync(join(VECTORS, "manifest.json"), "utf8"));
  const vectors = manifest.vectors.filter((v) => v.kind === "policy");
  test("there are policy vectors", () => assert.ok(vectors.length >= 10));
  // A draft whose verdict depends on the signed policy (internal and trusted domains).
  const probe = { from: "alice@acme.example", to: ["x@acme.exmaple", "y@partner.exampel", "colonel@army.ml"] };

  for (const v of vectors) {
    test(v.name, () => {
      assert.ok(v.trust.keyset, `${v.name}: only keyset trust is supported for policy vectors`);
      const bundle = readFileSync(join(VECTORS, v.file));
      const keyset = readFileSync(join(VECTORS, v.trust.keyset));
      const request = { tenant: v.tenant, held: v.held, now: v.now };
      const results = Object.entries(engines).map(([path, core]) => [
        path,
        outcome(() => {
          const engine = core.Engine.fromBundle(new Uint8Array(bundle), new Uint8Array(keyset), request);
          try {
            return { policy: engine.policy, policyVersion: engine.policyVersion, probe: engine.check(probe, {}) };
          } finally {
            engine.free();
          }
        })
      ]);
      for (const [path, result] of results.slice(1)) {
        assert.equal(canonical(result), canonical(results[0][1]), `${path} differs from ${results[0][0]}`);
      }
      const result = results[0][1];
      const { expect } = v;
      if (expect.result === "accepted") {
        assert.ok(!result.error, `${v.name} refused: ${canonical(result.error)}`);
        assert.equal(result.policyVersion, expect.version);
      } else if (expect.code === "expired") {
        // The core's one expiry rule (in_force.rs): verified but expired, the policy is in force
        // as stale; none of its checks run and every draft gets its fail mode.
        assert.ok(!result.error, `${v.name} refused: ${canonical(result.error)}`);
        assert.deepEqual([result.policy.stale, result.probe.findings.length], [true, 0], v.name);
        assert.equal(result.probe.action, result.policy.fail_mode, v.name);
      } else {
        assert.equal(result.error?.code, expect.code, `${v.name}: ${canonical(result)}`);
      }
      const info = result.policy ?? result.error?.policy;
      for (const field of ["version", "key_id", "digest", "issued_at", "expires_at"]) {
        if (field in expect && !(expect.result === "refused" && field === "version" && !info)) {
          assert.equal(info?.[field], expect[field], `${v.name}: ${field}`);
        }
      }
      if (expect.result === "accepted" && expect.policy_json) {
        // The engine runs the signed policy: same verdict as native with that policy.
        assert.equal(canonical(result.probe), canonical(nativeVerdict({ policy: expect.policy_json, draft: probe })));
      }
    });
  }
});
