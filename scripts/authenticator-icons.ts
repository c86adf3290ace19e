/**
 * Draws the authenticator app's icons (web/authenticator/icon-*.png, committed): a white check mark in a white ring
 * on the app's blue. The "any" icons are a rounded square; the maskable ones fill the square, with the mark inside
 * the central 80% safe zone a launcher's mask keeps. PNG written by hand (RGBA, no filter, zlib): no image library. Run with `npx tsx scripts/authenticator-icons.ts` after a
 * change of design.
 */
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const BLUE = [0x1d, 0x4e, 0xd8] as const;

/** Distance from (px, py) to the segment (ax, ay)–(bx, by). */
function toSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Coverage of one point (unit square coordinates): [background alpha, white]. */
function sample(x: number, y: number, maskable: boolean): [number, number] {
  // Background: the whole square (maskable) or a rounded square.
  let inside = true;
  if (!maskable) {
    const r = 0.2;
    const cx = Math.min(Math.max(x, r), 1 - r);
    const cy = Math.min(Math.max(y, r), 1 - r);
    inside = Math.hypot(x - cx, y - cy) <= r;
  }
  if (!inside) return [0, 0];
  const scale = maskable ? 0.62 : 0.8; // the mark's size within the square
  const u = (x - 0.5) / scale + 0.5;
  const v = (y - 0.5) / scale + 0.5;
  const ring = Math.abs(Math.hypot(u - 0.5, v - 0.5) - 0.4) <= 0.045;
  const check = Math.min(toSegment(u, v, 0.3, 0.52, 0.44, 0.66), toSegment(u, v, 0.44, 0.66, 0.71, 0.36)) <= 0.055;
  return [1, ring || check ? 1 : 0];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf: Buffer): number => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** An RGBA image (`rgba`, row after row) as PNG bytes. */
function encodePng(size: number, rgba: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter method choice, no interlace
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(rows, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

function icon(size: number, maskable: boolean): Buffer {
  const png = { data: Buffer.alloc(size * size * 4) };
  const n = 4; // supersampling per axis
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let alpha = 0;
      let white = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const [a, w] = sample((px + (i + 0.5) / n) / size, (py + (j + 0.5) / n) / size, maskable);
          alpha += a;
          white += w;
        }
      }
      const k = (py * size + px) * 4;
      const wf = alpha ? white / alpha : 0;
      png.data[k] = Math.round(BLUE[0] + (255 - BLUE[0]) * wf);
      png.data[k + 1] = Math.round(BLUE[1] + (255 - BLUE[1]) * wf);
      png.data[k + 2] = Math.round(BLUE[2] + (255 - BLUE[2]) * wf);
      png.data[k + 3] = Math.round((255 * alpha) / (n * n));
    }
  }
  return encodePng(size, png.data);
}

const dir = new URL("../web/authenticator/", import.meta.url);
for (const size of [192, 512]) {
  writeFileSync(new URL(`icon-${size}.png`, dir), icon(size, false));
  writeFileSync(new URL(`icon-maskable-${size}.png`, dir), icon(size, true));
}
console.log("icons written to web/authenticator/");
