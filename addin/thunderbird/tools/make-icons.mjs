// Draws the extension's icons (a white check mark on a blue rounded square) as PNG files,
// 16, 32, 48 and 96 pixels, into addin/thunderbird/icons/. Reproducible: the same bytes on
// every run (no timestamps; zlib at a fixed level). The icons are committed; run this again
// only to change them: node addin/thunderbird/tools/make-icons.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodePng } from "../../tools/png.mjs";

export const SIZES = [16, 32, 48, 96];
const BLUE = [11, 87, 208];
const WHITE = [255, 255, 255];
/** The check mark, in a 0..1 square: two strokes. */
/** @type {[number, number][]} */
const CHECK = [[0.26, 0.53], [0.43, 0.7], [0.75, 0.34]];
const STROKE = 0.085;
const RADIUS = 0.2;
const SAMPLES = 4;

function distanceToSegment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function insideRoundedSquare(x, y) {
  const cx = Math.min(Math.max(x, RADIUS), 1 - RADIUS);
  const cy = Math.min(Math.max(y, RADIUS), 1 - RADIUS);
  return Math.hypot(x - cx, y - cy) <= RADIUS;
}

function onCheck(x, y) {
  return distanceToSegment(x, y, CHECK[0], CHECK[1]) <= STROKE || distanceToSegment(x, y, CHECK[1], CHECK[2]) <= STROKE;
}

/** RGBA rows, each pixel averaged over SAMPLES×SAMPLES points. */
export function drawIcon(size) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let x = 0; x < size; x++) {
      let cover = 0, white = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const u = (x + (sx + 0.5) / SAMPLES) / size, v = (y + (sy + 0.5) / SAMPLES) / size;
          if (!insideRoundedSquare(u, v)) continue;
          cover++;
          if (onCheck(u, v)) white++;
        }
      }
      const mix = cover ? white / cover : 0;
      for (let c = 0; c < 3; c++) row[1 + x * 4 + c] = Math.round(BLUE[c] * (1 - mix) + WHITE[c] * mix);
      row[1 + x * 4 + 3] = Math.round((255 * cover) / (SAMPLES * SAMPLES));
    }
    rows.push(row);
  }
  return Buffer.concat(rows);
}

/** A PNG file (8-bit RGBA, no interlace) of one icon. */
export function iconPng(size) {
  return encodePng(size, 6, drawIcon(size), { level: 9 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../icons");
  fs.mkdirSync(out, { recursive: true });
  for (const size of SIZES) {
    const file = path.join(out, `sendguard-${size}.png`);
    fs.writeFileSync(file, iconPng(size));
    console.log(`${path.relative(process.cwd(), file)} (${fs.statSync(file).size} bytes)`);
  }
}
