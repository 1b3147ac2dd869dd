/**
 * The legal worst cases for `npm run bench:hostile`: images at the pixel limit (MAX_PIXELS) and
 * under the byte limit (MAX_UPLOAD_BYTES), in the formats whose decoders hold the whole image at
 * once (progressive JPEG, interlaced PNG) or cost the most per byte (AVIF, 16-bit, multi-page).
 *
 * Content is cheap to encode and compresses: a small tile of seeded noise repeated over a
 * horizontal gradient (so JPEG and WebP still have entropy to decode), or one solid colour (AVIF).
 * Generating takes a minute or two, so files are cached under bench/results/hostile-cases/, keyed
 * by every parameter that shapes them (limits, sharp version, generator version).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { PROJECT } from '../test/helpers/paths.js';
import { rng } from '../test/helpers/rng.js';

/** Bump when the generated content changes, so stale caches are not reused. */
const GENERATOR_VERSION = 4;
const CACHE = path.join(PROJECT, 'bench', 'results', 'hostile-cases');
const TILE = 64;

export interface HostileCase {
  name: string;
  file: string;
  contentType: string;
  width: number;
  /** Height of one page or frame. */
  height: number;
  pages: number;
  bytes: number;
  /** Sent slowly over a raw socket rather than at full speed. */
  trickle: boolean;
}

export interface CaseLimits {
  maxPixels: number;
  maxUploadBytes: number;
}

/** Width and height at the limit, aspect near 10:11 (a portrait photo), w * h <= maxPixels. */
export function dimensionsAt(maxPixels: number, pages = 1): { width: number; height: number } {
  const width = Math.max(8, Math.floor(Math.sqrt(maxPixels / pages / 1.1)));
  return { width, height: Math.max(8, Math.floor(maxPixels / pages / width)) };
}


/** 8-bit interleaved pixels of one page: a repeated TILE x TILE noise tile, over a gradient along x if asked. */
function texture(width: number, height: number, channels: number, amplitude: number, gradient: boolean, page: number): Buffer {
  const rand = rng(0x5eed + channels);
  const noise = Int16Array.from({ length: TILE * TILE * channels }, () => Math.round((rand() * 2 - 1) * amplitude));
  const rowBytes = width * channels;
  // One band of TILE rows, then copied down the image: the pattern repeats every TILE rows.
  const band = Buffer.alloc(rowBytes * TILE);
  for (let y = 0; y < TILE; y++) {
    for (let x = 0; x < width; x++) {
      // Lossless formats get no gradient: it would break the exact repeats deflate compresses.
      // Pages differ (an encoder may merge identical frames into one).
      const base = (gradient ? Math.round((x / width) * 200) + 28 : 128) - page * 24;
      for (let c = 0; c < channels; c++) {
        const v = c === 3 ? 255 - ((x + y) % 64) : base + noise[((y * TILE) + (x % TILE)) * channels + c] + c * 9;
        band[y * rowBytes + x * channels + c] = Math.max(0, Math.min(255, v));
      }
    }
  }
  const out = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y += TILE) band.copy(out, y * rowBytes, 0, Math.min(TILE, height - y) * rowBytes);
  return out;
}

type Encode = (img: sharp.Sharp, quality: number) => sharp.Sharp;

interface Recipe {
  name: string;
  contentType: string;
  channels: 3 | 4;
  pages: number;
  amplitude: number;
  /** Lossy formats only: a gradient under the noise, so the image is not a pure repeat. */
  gradient?: boolean;
  /** Searched downwards until the file fits under the byte limit; lossless formats ignore it. */
  qualities: number[];
  encode: Encode;
  solid?: boolean;
}

const lossy = [90, 80, 70, 60, 50, 40, 30, 20, 10];

const RECIPES: Recipe[] = [
  { name: 'jpeg-progressive-420', contentType: 'image/jpeg', channels: 3, pages: 1, amplitude: 24, qualities: lossy, encode: (i, q) => i.jpeg({ quality: q, progressive: true, chromaSubsampling: '4:2:0' }), gradient: true },
  { name: 'jpeg-progressive-444', contentType: 'image/jpeg', channels: 3, pages: 1, amplitude: 24, qualities: lossy, encode: (i, q) => i.jpeg({ quality: q, progressive: true, chromaSubsampling: '4:4:4' }), gradient: true },
  { name: 'png-interlaced-rgba8', contentType: 'image/png', channels: 4, pages: 1, amplitude: 24, qualities: [0], encode: (i) => i.png({ progressive: true, compressionLevel: 6, adaptiveFiltering: false }) },
  { name: 'png-interlaced-rgba16', contentType: 'image/png', channels: 4, pages: 1, amplitude: 24, qualities: [0], encode: (i) => i.toColourspace('rgb16').png({ progressive: true, compressionLevel: 6, adaptiveFiltering: false }) },
  { name: 'tiff-rgb16', contentType: 'image/tiff', channels: 3, pages: 1, amplitude: 24, qualities: [0], encode: (i) => i.toColourspace('rgb16').tiff({ compression: 'deflate', predictor: 'horizontal' }) },
  { name: 'tiff-multipage-4', contentType: 'image/tiff', channels: 3, pages: 4, amplitude: 24, qualities: [0], encode: (i) => i.tiff({ compression: 'deflate', predictor: 'horizontal' }) },
  { name: 'gif-animated-3', contentType: 'image/gif', channels: 3, pages: 3, amplitude: 0, qualities: [0], encode: (i) => i.gif({ effort: 1, colours: 16, dither: 0, loop: 0, delay: 100 }) },
  { name: 'webp-lossy', contentType: 'image/webp', channels: 3, pages: 1, amplitude: 24, encode: (i, q) => i.webp({ quality: q, effort: 0 }), gradient: true, qualities: [70, 50, 30, 10] },
  { name: 'avif-solid', contentType: 'image/avif', channels: 3, pages: 1, amplitude: 0, qualities: [50], solid: true, encode: (i, q) => i.avif({ quality: q, effort: 0 }) },
];

function cacheKey(limits: CaseLimits): string {
  const key = JSON.stringify({ GENERATOR_VERSION, limits, sharp: sharp.versions.sharp, vips: sharp.versions.vips, recipes: RECIPES.map((r) => [r.name, r.pages, r.amplitude, r.qualities]) });
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

async function generate(r: Recipe, limits: CaseLimits, log: (s: string) => void): Promise<Buffer> {
  // Every page at the limit: the server checks width x page height against MAX_PIXELS.
  const { width, height } = dimensionsAt(limits.maxPixels);
  const total = height * r.pages;
  const input = (): sharp.Sharp =>
    r.solid
      ? sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
      : sharp(Buffer.concat(Array.from({ length: r.pages }, (_, p) => texture(width, height, r.channels, r.amplitude, r.gradient === true, p))), { raw: { width, height: total, channels: r.channels, pageHeight: height }, limitInputPixels: false });
  for (const q of r.qualities) {
    const started = performance.now();
    // libwebp fails outright ("unable to encode") rather than produce a large file: try lower.
    const out = await r.encode(input(), q).toBuffer().catch((err: Error) => (log(`  ${r.name} q${q}: ${err.message.split('\n')[0]}`), undefined));
    if (out === undefined) continue;
    log(`  ${r.name}: ${width}x${height}x${r.pages} q${q} -> ${(out.length / 1e6).toFixed(2)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (out.length <= limits.maxUploadBytes) return out;
  }
  throw new Error(`${r.name}: no quality in ${r.qualities.join(',')} fits under ${limits.maxUploadBytes} bytes`);
}

/** The trickled upload: the largest case padded to exactly the byte limit (bytes after JPEG's EOI are ignored). */
function atByteLimit(largest: Buffer, maxUploadBytes: number): Buffer {
  const out = Buffer.alloc(maxUploadBytes);
  largest.copy(out, 0, 0, Math.min(largest.length, maxUploadBytes));
  return out;
}

/** Generates (or reads from the cache) every case for these limits. */
export async function hostileCases(limits: CaseLimits, log: (s: string) => void = console.log): Promise<HostileCase[]> {
  const dir = path.join(CACHE, cacheKey(limits));
  const index = path.join(dir, 'cases.json');
  if (existsSync(index)) return JSON.parse(readFileSync(index, 'utf8')) as HostileCase[];
  mkdirSync(dir, { recursive: true });
  log(`generating worst cases for MAX_PIXELS=${limits.maxPixels}, MAX_UPLOAD_BYTES=${limits.maxUploadBytes} into ${path.relative(PROJECT, dir)} (once)`);
  const cases: HostileCase[] = [];
  let largestJpeg: Buffer | undefined;
  for (const r of RECIPES) {
    const bytes = await generate(r, limits, log);
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    const file = path.join(dir, `${r.name}.${r.contentType.split('/')[1]}`);
    writeFileSync(file, bytes);
    cases.push({ name: r.name, file, contentType: r.contentType, width: meta.width ?? 0, height: meta.pageHeight ?? meta.height ?? 0, pages: meta.pages ?? 1, bytes: bytes.length, trickle: false });
    if (r.contentType === 'image/jpeg' && bytes.length > (largestJpeg?.length ?? 0)) largestJpeg = bytes;
  }
  if (largestJpeg) {
    const jpeg = cases.find((c) => c.contentType === 'image/jpeg' && c.bytes === largestJpeg?.length) as HostileCase;
    const file = path.join(dir, 'trickle-at-byte-limit.jpeg');
    writeFileSync(file, atByteLimit(largestJpeg, limits.maxUploadBytes));
    cases.push({ ...jpeg, name: 'trickle-at-byte-limit', file, bytes: limits.maxUploadBytes, trickle: true });
  }
  // Written last and atomically: a half-generated folder is regenerated next time.
  writeFileSync(`${index}.tmp`, JSON.stringify(cases, null, 2));
  renameSync(`${index}.tmp`, index);
  return cases;
}
