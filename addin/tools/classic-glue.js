/* The engine glue of Outlook's classic engine scripts: an ES module written to ES2016 (the
 * classic runtime's level), bundled by addin/tools/build-classic.mjs (esbuild) into each
 * script, where it becomes the global `SendguardEngine`.
 *
 * It imports three values from `sendguard:engine`, a module the build generates per variant:
 *   ENGINE_WASM_BASE64     the sendguard-js-api module, base64; in the full script without
 *                          its data section, in the lean one whole
 *   ENGINE_DATA            its data segments, [[offset, base64], ...], shared with the
 *                          fallback (empty in the lean script: the module has them)
 *   createFallbackExports  a function returning the same module's exports, as pure
 *                          JavaScript (binaryen's wasm2js), for runtimes without WebAssembly;
 *                          null in the lean script, which then refuses to start
 * The API mirrors the ES module's:
 *   SendguardEngine.instantiate(options) -> Promise of
 *     { kind: "wasm" | "js", version(), verifyKeyset(keysetBytes, currentKeysetBytes | null, request),
 *       trustKeysets({tenant, now, pinned, stored, fetched}),
 *       learnHistory(historyText, {recipients, now_day, max_entries?, import?}) -> history text,
 *       trimHistory(historyText, {max_bytes?, max_entries?}) -> history text,
 *       historySummary(historyText) -> {entries, last_day, rejected},
 *       Engine: { fromPolicyJson(text), fromBundle(bundleBytes, pinnedKeysetBytes, request) } }
 *   engine.check(draft, {known?, history?}) -> verdict object; engine.reportTally({verdict, outcome}) -> tally;
 *   engine.policyVersion; engine.policy; engine.failMode; engine.free()
 * The history text is handed to the engine only when it differs from the last one this engine
 * checked with (sg_set_history, encoded straight into the engine's memory): a client passes
 * the same string with every check, and copying and indexing it once per change keeps a warm
 * check as fast as one without it.
 * Errors are `Error`s with `code` and `message` (and `policy` for `expired`), as in the ES
 * module. Bytes are Uint8Arrays (strings are taken as their UTF-8).
 */
import { ENGINE_WASM_BASE64, ENGINE_DATA, createFallbackExports } from "sendguard:engine";

/* UTF-8 without relying on TextEncoder/TextDecoder, which the classic runtime may lack. */
function utf8Encode(text) {
  if (typeof TextEncoder !== "undefined") return new TextEncoder().encode(text);
  var bytes = [];
  for (var i = 0; i < text.length; i++) {
    var c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      var low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd; // a lone surrogate, as TextEncoder does
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(bytes);
}

/* Decodes UTF-8 that the engine wrote (always valid: it comes from Rust strings). */
function utf8Decode(bytes) {
  if (typeof TextDecoder !== "undefined") return new TextDecoder().decode(bytes);
  var parts = [];
  var units = [];
  for (var i = 0; i < bytes.length; ) {
    var b = bytes[i];
    var c;
    if (b < 0x80) { c = b; i += 1; }
    else if (b < 0xe0) { c = ((b & 31) << 6) | (bytes[i + 1] & 63); i += 2; }
    else if (b < 0xf0) { c = ((b & 15) << 12) | ((bytes[i + 1] & 63) << 6) | (bytes[i + 2] & 63); i += 3; }
    else { c = ((b & 7) << 18) | ((bytes[i + 1] & 63) << 12) | ((bytes[i + 2] & 63) << 6) | (bytes[i + 3] & 63); i += 4; }
    if (c >= 0x10000) {
      c -= 0x10000;
      units.push(0xd800 + (c >> 10), 0xdc00 + (c & 1023));
    } else {
      units.push(c);
    }
    if (units.length > 8192) { parts.push(String.fromCharCode.apply(null, units)); units = []; }
  }
  parts.push(String.fromCharCode.apply(null, units));
  return parts.join("");
}

/* The native decoder where there is one (recent browsers): 1 MB of base64 in about 1 ms in
 * Chromium, against about 10 ms for the loop below. atob is no faster: copying its string
 * into bytes costs what the loop costs. */
function base64Decode(text) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
  var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  var lookup = new Uint8Array(256);
  for (var i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i;
  // Base64 is ASCII: its character codes are its UTF-8 bytes, which a native TextEncoder
  // reads faster than charCodeAt per character (about 1 ms of 7 for 1 MB in Node 20).
  var codes;
  if (typeof TextEncoder !== "undefined") {
    codes = new TextEncoder().encode(text);
  } else {
    codes = new Uint8Array(text.length);
    for (var k = 0; k < text.length; k++) codes[k] = text.charCodeAt(k);
  }
  var padding = text.charAt(text.length - 1) === "=" ? (text.charAt(text.length - 2) === "=" ? 2 : 1) : 0;
  var out = new Uint8Array((text.length / 4) * 3 - padding);
  var o = 0;
  for (var j = 0; j < text.length; j += 4) {
    var n = (lookup[codes[j]] << 18) | (lookup[codes[j + 1]] << 12) | (lookup[codes[j + 2]] << 6) | lookup[codes[j + 3]];
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

function engineError(code, message, policy, keyset) {
  var error = new Error(message);
  error.code = code;
  if (policy) error.policy = policy;
  if (keyset) error.keyset = keyset;
  return error;
}

/* Wraps the module's exports (WebAssembly or wasm2js: the same functions) in the API. */
function wrapExports(exports, kind) {
  function response() {
    var ptr = exports.sg_response_ptr();
    var len = exports.sg_response_len();
    // Read the memory afresh: a call may have grown it, which replaces the buffer.
    return utf8Decode(new Uint8Array(exports.memory.buffer, ptr, len).slice());
  }
  function answer(status) {
    var text = response();
    if (status !== 0) {
      var failure = JSON.parse(text);
      throw engineError(failure.code, failure.message, failure.policy, failure.keyset);
    }
    return text;
  }
  /* Copies bytes (or a string's UTF-8) into the module's memory for the duration of fn(ptr, len). */
  function withBytes(data, fn) {
    var bytes = typeof data === "string" ? utf8Encode(data) : data;
    var ptr = exports.sg_alloc(bytes.length);
    new Uint8Array(exports.memory.buffer, ptr, bytes.length).set(bytes);
    try {
      return fn(ptr, bytes.length);
    } finally {
      exports.sg_free(ptr, bytes.length);
    }
  }
  /* Objects in, as in the ES module: a draft object and a context `{known?, history?}` (the
   * history travels apart, see `setHistory`). */
  function jsonOf(value, code, what) {
    if (what === "context" && (value === undefined || value === null)) return "{}";
    if (value === null || typeof value !== "object") throw engineError(code, what + ": expected an object");
    if (what !== "context") return JSON.stringify(value);
    var rest = {};
    for (var key in value) {
      if (key !== "history" && Object.prototype.hasOwnProperty.call(value, key)) rest[key] = value[key];
    }
    return JSON.stringify(rest);
  }
  /* The history text of a context ("" for none). */
  function historyOf(context) {
    var history = context === undefined || context === null ? undefined : context.history;
    if (history === undefined || history === null) return "";
    if (typeof history !== "string") throw engineError("bad_context", "context: history must be a string");
    return history;
  }
  /* Calls fn(historyPtr, historyLen, optionsPtr, optionsLen) with both copied in; answers text. */
  function withHistoryAndOptions(history, options, what, fn) {
    if (options === null || typeof options !== "object") throw engineError("bad_request", what + ": expected an object");
    return withBytes(String(history), function (hPtr, hLen) {
      return withBytes(JSON.stringify(options), function (oPtr, oLen) {
        return answer(fn(hPtr, hLen, oPtr, oLen));
      });
    });
  }
  /* Hands a history text to engine `handle`, encoded straight into room the engine then keeps
   * (sg_reserve, sg_set_history): a history is a megabyte, and every copy of it is paid at a
   * cold start. With encodeInto, one byte a UTF-16 unit first (an ASCII history, the usual
   * one, fits), else the most UTF-8 can take; without it, encoded here first. */
  function setHistory(handle, history) {
    var encoder = typeof TextEncoder !== "undefined" && typeof TextEncoder.prototype.encodeInto === "function" ? new TextEncoder() : null;
    var bytes = encoder === null ? utf8Encode(history) : null;
    var capacities = bytes !== null ? [bytes.length] : [history.length, 3 * history.length];
    for (var i = 0; i < capacities.length; i++) {
      var capacity = capacities[i];
      var ptr = exports.sg_reserve(capacity);
      var room = new Uint8Array(exports.memory.buffer, ptr, capacity);
      var written = bytes !== null ? bytes.length : 0;
      if (bytes !== null) room.set(bytes);
      else {
        var result = encoder.encodeInto(history, room);
        if (result.read < history.length) {
          exports.sg_release(ptr, capacity);
          continue;
        }
        written = result.written;
      }
      return answer(exports.sg_set_history(handle, ptr, written, capacity));
    }
    throw engineError("internal", "the history text could not be encoded");
  }
  function EngineHandle(loaded) {
    this.handle = loaded.handle;
    this.history = "";
    this.policy = loaded.policy;
    this.failMode = loaded.fail_mode;
    this.policyVersion = loaded.policy === null ? undefined : loaded.policy.version;
  }
  EngineHandle.prototype.check = function (draft, context) {
    var handle = this.handle;
    var draftJson = jsonOf(draft, "bad_draft", "draft");
    var knownJson = jsonOf(context, "bad_context", "context");
    var history = historyOf(context);
    if (history !== this.history) {
      setHistory(handle, history);
      this.history = history;
    }
    var text = withBytes(draftJson, function (dPtr, dLen) {
      return withBytes(knownJson, function (kPtr, kLen) {
        return answer(exports.sg_check(handle, dPtr, dLen, kPtr, kLen));
      });
    });
    return JSON.parse(text);
  };
  /* The countable facts of a verdict for the daily report ({verdict, outcome?, justification?}). */
  EngineHandle.prototype.reportTally = function (request) {
    var handle = this.handle;
    var requestJson = jsonOf(request, "bad_request", "tally request");
    return JSON.parse(withBytes(requestJson, function (ptr, len) {
      return answer(exports.sg_report_tally(handle, ptr, len));
    }));
  };
  EngineHandle.prototype.free = function () {
    answer(exports.sg_drop_engine(this.handle));
  };
  return {
    kind: kind,
    version: function () {
      return JSON.parse(answer(exports.sg_version()));
    },
    learnHistory: function (history, options) {
      return withHistoryAndOptions(history, options, "learn options", exports.sg_learn_history);
    },
    trimHistory: function (history, options) {
      return withHistoryAndOptions(history, options, "trim options", exports.sg_trim_history);
    },
    historySummary: function (history) {
      return JSON.parse(withBytes(String(history), function (hPtr, hLen) {
        return answer(exports.sg_history_summary(hPtr, hLen));
      }));
    },
    trustKeysets: function (request) {
      return JSON.parse(withBytes(JSON.stringify(request), function (rPtr, rLen) {
        return answer(exports.sg_trust_keysets(rPtr, rLen));
      }));
    },
    verifyKeyset: function (keyset, currentKeyset, request) {
      var requestJson = JSON.stringify(request);
      return JSON.parse(withBytes(keyset, function (kPtr, kLen) {
        return withBytes(requestJson === undefined ? "null" : requestJson, function (rPtr, rLen) {
          if (currentKeyset === null || currentKeyset === undefined) {
            return answer(exports.sg_verify_keyset(kPtr, kLen, 0, 0, rPtr, rLen));
          }
          return withBytes(currentKeyset, function (cPtr, cLen) {
            return answer(exports.sg_verify_keyset(kPtr, kLen, cPtr, cLen, rPtr, rLen));
          });
        });
      }));
    },
    Engine: {
      fromPolicyJson: function (text) {
        var loaded = withBytes(String(text), function (ptr, len) {
          return JSON.parse(answer(exports.sg_load_policy(ptr, len)));
        });
        return new EngineHandle(loaded);
      },
      fromBundle: function (bundle, pinnedKeyset, request) {
        var requestJson = JSON.stringify(request);
        var loaded = withBytes(bundle, function (bPtr, bLen) {
          return withBytes(pinnedKeyset, function (kPtr, kLen) {
            return withBytes(requestJson === undefined ? "null" : requestJson, function (rPtr, rLen) {
              return JSON.parse(answer(exports.sg_load_bundle(bPtr, bLen, kPtr, kLen, rPtr, rLen)));
            });
          });
        });
        return new EngineHandle(loaded);
      }
    }
  };
}

var fallbackExports = null;
/* The pure-JavaScript engine; the lean script carries none and says why no engine runs. */
function jsFallback(why) {
  if (createFallbackExports === null) {
    throw engineError("no_webassembly", why + " (this build of the engine has no JavaScript fallback)");
  }
  if (fallbackExports === null) fallbackExports = createFallbackExports();
  return wrapExports(fallbackExports, "js");
}

/* options.fallback: "never" | "auto" (default) | "always". WebAssembly is used when it
 * exists and compiles this module; otherwise the pure-JavaScript build of the same engine. */
function instantiate(options) {
  var mode = (options && options.fallback) || "auto";
  if (mode === "always" || typeof WebAssembly === "undefined") {
    if (mode === "never") return Promise.reject(engineError("no_webassembly", "WebAssembly is not available"));
    var why = mode === "always" ? "the JavaScript engine was asked for" : "WebAssembly is not available";
    return Promise.resolve(why).then(jsFallback);
  }
  return WebAssembly.instantiate(base64Decode(ENGINE_WASM_BASE64), {}).then(
    function (result) {
      var exports = result.instance.exports;
      // The full script's module has no data section (it is in ENGINE_DATA once).
      var memory = new Uint8Array(exports.memory.buffer);
      for (var i = 0; i < ENGINE_DATA.length; i++) memory.set(base64Decode(ENGINE_DATA[i][1]), ENGINE_DATA[i][0]);
      return wrapExports(exports, "wasm");
    },
    function (error) {
      if (mode === "never") throw error;
      return jsFallback("WebAssembly refused the engine: " + (error && error.message ? error.message : String(error)));
    }
  );
}

export { instantiate };
