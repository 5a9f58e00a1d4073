// PNG encoding for the add-ins' drawn icons (Outlook's addin/outlook/tools/icons.mjs and
// Thunderbird's addin/thunderbird/tools/make-icons.mjs): 8-bit, no interlace, no timestamps,
// so the same pixels always give the same bytes.
import { deflateSync } from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** @param {Uint8Array} bytes */
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** @param {string} type @param {Buffer} data */
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A square PNG from its filtered scanlines (each row: a filter byte, then the pixels).
 * @param {number} size width and height in pixels
 * @param {2 | 6} colourType 2: RGB, 6: RGBA
 * @param {Buffer} scanlines
 * @param {import("node:zlib").ZlibOptions} [deflate]
 * @returns {Buffer}
 */
export function encodePng(size, colourType, scanlines, deflate = {}) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, colourType, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(scanlines, deflate)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
