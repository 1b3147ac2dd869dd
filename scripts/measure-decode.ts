/**
 * Measures what one decode costs, per format and size: peak resident memory added by the decode
 * (maxRSS after minus before, in a fresh process per case so that one case's heap cannot hide
 * another's) and CPU time (all threads). Images are generated here, so anyone can rerun it:
 *
 *   node --import tsx scripts/measure-decode.ts [filter]
 *
 * Writes a Markdown table on stdout (docs/limits.md holds the figures this machine gave).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

interface Case {
  name: string;
  width: number;
  height: number;
  encode: (img: sharp.Sharp) => sharp.Sharp;
  /** 16-bit source pixels. */
  deep?: boolean;
  alpha?: boolean;
  pages?: number;
}

const MP40: [number, number] = [7746, 5164];
const MP12: [number, number] = [4000, 3000];
const CASES: Case[] = [
  { name: 'jpeg baseline 4:2:0', width: MP12[0], height: MP12[1], encode: (i) => i.jpeg({ quality: 90 }) },
  { name: 'jpeg baseline 4:2:0', width: MP40[0], height: MP40[1], encode: (i) => i.jpeg({ quality: 90 }) },
  { name: 'jpeg progressive 4:2:0', width: MP12[0], height: MP12[1], encode: (i) => i.jpeg({ quality: 90, progressive: true }) },
  { name: 'jpeg progressive 4:2:0', width: MP40[0], height: MP40[1], encode: (i) => i.jpeg({ quality: 90, progressive: true }) },
  { name: 'jpeg progressive 4:4:4', width: MP40[0], height: MP40[1], encode: (i) => i.jpeg({ quality: 90, progressive: true, chromaSubsampling: '4:4:4' }) },
  { name: 'png 8-bit RGB', width: MP40[0], height: MP40[1], encode: (i) => i.png({ compressionLevel: 1 }) },
  { name: 'png 8-bit RGB interlaced', width: MP12[0], height: MP12[1], encode: (i) => i.png({ compressionLevel: 1, progressive: true }) },
  { name: 'png 8-bit RGB interlaced', width: MP40[0], height: MP40[1], encode: (i) => i.png({ compressionLevel: 1, progressive: true }) },
  { name: 'png 16-bit RGBA interlaced', width: MP40[0], height: MP40[1], deep: true, alpha: true, encode: (i) => i.png({ compressionLevel: 1, progressive: true }) },
  { name: 'webp lossy', width: MP40[0], height: MP40[1], encode: (i) => i.webp({ quality: 80, effort: 0 }) },
  { name: 'webp lossless', width: MP40[0], height: MP40[1], encode: (i) => i.webp({ lossless: true, effort: 0 }) },
  { name: 'gif', width: MP40[0], height: MP40[1], encode: (i) => i.gif({ effort: 1 }) },
  { name: 'tiff 8-bit deflate', width: MP40[0], height: MP40[1], encode: (i) => i.tiff({ compression: 'deflate' }) },
  { name: 'tiff 16-bit RGB deflate', width: MP40[0], height: MP40[1], deep: true, encode: (i) => i.tiff({ compression: 'deflate' }) },
  { name: 'avif', width: MP12[0], height: MP12[1], encode: (i) => i.avif({ effort: 0, quality: 50 }) },
  { name: 'avif', width: 6000, height: 6600, encode: (i) => i.avif({ effort: 0, quality: 50 }) },
];

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(os.tmpdir(), 'resnet-serve-decode-cases');

async function generate(c: Case, file: string): Promise<void> {
  // A smooth texture (noise scaled up): compresses like a photo, unlike pure noise.
  const seed = await sharp({ create: { width: 400, height: 300, channels: c.alpha ? 4 : 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .png()
    .toBuffer();
  let img = sharp(seed).resize(c.width, c.height, { kernel: 'cubic' });
  if (c.deep) img = img.toColourspace(c.alpha ? 'rgb16' : 'rgb16');
  writeFileSync(file, await c.encode(img).toBuffer());
}

async function child(file: string): Promise<void> {
  const { ImagePreprocessor } = await import('../src/preprocess/preprocessor.js');
  const pre = new ImagePreprocessor({
    geometry: { width: 224, height: 224, mode: 'crop', shorter: 256 },
    normalization: { channelOrder: 'BGR', mean: [0, 0, 0], std: [1, 1, 1] },
    limits: { maxPixels: 100_000_000, minSide: 8 },
  });
  const bytes = readFileSync(file);
  await pre.decode(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } }).jpeg().toBuffer()); // warm-up
  const before = process.resourceUsage().maxRSS;
  const rssBefore = process.memoryUsage.rss();
  // The decode runs off the event loop, so sampling RSS here sees its peak (within 2 ms); the
  // maxRSS delta catches a peak between samples when the start-up peak was lower.
  let sampled = rssBefore;
  const sampler = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 2);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pre.decode(bytes);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const maxRssDelta = Math.max(process.resourceUsage().maxRSS - before, 0) * 1024;
  const peak = Math.max(maxRssDelta, sampled - rssBefore);
  process.stdout.write(JSON.stringify({ peakMB: peak / 1048576, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: wall }));
}

async function main(): Promise<void> {
  const filter = process.argv[2] ?? '';
  mkdirSync(dir, { recursive: true });
  const rows: string[] = ['| format | size | pixels | file | peak decode memory (MB) | CPU ms | wall ms |', '|---|---|---|---|---|---|---|'];
  for (const c of CASES) {
    const label = `${c.name} ${c.width}x${c.height}`;
    if (!label.includes(filter)) continue;
    const file = path.join(dir, `${label.replace(/[^\w]+/g, '_')}.img`);
    if (!existsSync(file)) await generate(c, file);
    const runs = [0, 1].map(() =>
      JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'measure-decode.ts'), '--child', file], { encoding: 'utf8' })) as { peakMB: number; cpuMs: number; wallMs: number },
    );
    const best = runs.sort((a, b) => a.cpuMs - b.cpuMs)[0];
    const peak = Math.max(...runs.map((r) => r.peakMB));
    const size = readFileSync(file).length;
    const row = `| ${c.name} | ${c.width}x${c.height} | ${((c.width * c.height) / 1e6).toFixed(1)} MP | ${(size / 1048576).toFixed(2)} MB | ${peak.toFixed(0)} | ${best.cpuMs.toFixed(0)} | ${best.wallMs.toFixed(0)} |`;
    rows.push(row);
    process.stderr.write(`${row}\n`);
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else await main();
