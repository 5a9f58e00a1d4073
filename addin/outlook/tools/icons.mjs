// The add-in's icons as PNG bytes, drawn here so that the repository holds no binaries:
// a navy square with a white check mark. Sizes: what the manifest names (16, 32, 64, 80, 128).
import { encodePng } from "../../tools/png.mjs";

/** Distance from point (x, y) to the segment (ax, ay)-(bx, by). */
function toSegment(x, y, ax, ay, bx, by) {
  const t = Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
  return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)));
}

/** @param {number} size @returns {Buffer} a PNG of size × size pixels (RGB) */
export function iconPng(size) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size;
      const v = (y + 0.5) / size;
      const check = Math.min(toSegment(u, v, 0.25, 0.52, 0.43, 0.7), toSegment(u, v, 0.43, 0.7, 0.76, 0.32)) < 0.07;
      const [r, g, b] = check ? [255, 255, 255] : [20, 50, 110];
      row.writeUInt8(r, 1 + x * 3);
      row.writeUInt8(g, 2 + x * 3);
      row.writeUInt8(b, 3 + x * 3);
    }
    rows.push(row);
  }
  return encodePng(size, 2, Buffer.concat(rows));
}

export const ICON_SIZES = [16, 32, 64, 80, 128];
