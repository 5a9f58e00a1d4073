// A local SMTP sink for the end-to-end test: accepts every message on 127.0.0.1 and keeps
// the envelope (MAIL FROM, RCPT TO) and the raw message, so a test can check what Thunderbird
// really sent. Plain SMTP, no TLS, no authentication: Thunderbird's test account is set up
// that way. Small enough to read in a minute, so the test needs no SMTP package.

import net from "node:net";

/**
 * @typedef {{ mailFrom: string, rcptTo: string[], data: string }} SunkMessage
 */

/**
 * Starts the sink on a free loopback port.
 * @returns {Promise<{ port: number, messages: SunkMessage[], close(): Promise<void> }>}
 */
export async function startSmtpSink() {
  /** @type {SunkMessage[]} */
  const messages = [];
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buffer = "";
    let inData = false;
    /** @type {SunkMessage} */
    let current = { mailFrom: "", rcptTo: [], data: "" };
    const reply = (line) => socket.write(line + "\r\n");
    reply("220 sendguard-test-sink ESMTP");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("latin1");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          // Undo dot-stuffing (RFC 5321 section 4.5.2).
          current.data = buffer.slice(0, end + 2).replace(/^\.\./gm, ".");
          buffer = buffer.slice(end + 5);
          messages.push(current);
          current = { mailFrom: "", rcptTo: [], data: "" };
          inData = false;
          reply("250 OK: queued");
          continue;
        }
        const eol = buffer.indexOf("\r\n");
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") reply("250-sendguard-test-sink\r\n250-8BITMIME\r\n250 SIZE 52428800");
        else if (verb === "HELO") reply("250 sendguard-test-sink");
        else if (verb === "MAIL") {
          current.mailFrom = (line.match(/<([^>]*)>/) || [])[1] || "";
          reply("250 OK");
        } else if (verb === "RCPT") {
          current.rcptTo.push((line.match(/<([^>]*)>/) || [])[1] || "");
          reply("250 OK");
        } else if (verb === "DATA") {
          inData = true;
          reply("354 End data with <CR><LF>.<CR><LF>");
        } else if (verb === "RSET") {
          current = { mailFrom: "", rcptTo: [], data: "" };
          reply("250 OK");
        } else if (verb === "QUIT") {
          reply("221 Bye");
          socket.end();
        } else if (verb === "NOOP") reply("250 OK");
        else reply("502 Command not implemented");
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = /** @type {net.AddressInfo} */ (server.address());
  return {
    port: address.port,
    messages,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      })
  };
}

/**
 * The value of one header of a raw message (first occurrence, unfolded).
 * @param {string} data
 * @param {string} name
 * @returns {string | undefined}
 */
export function headerOf(data, name) {
  const head = data.split("\r\n\r\n")[0].replace(/\r\n[ \t]+/g, " ");
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(name.toLowerCase() + ":"));
  return line === undefined ? undefined : line.slice(name.length + 1).trim();
}
