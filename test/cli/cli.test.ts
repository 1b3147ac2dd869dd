/**
 * The `resnet-serve` command line, run as a user runs it (a child process; from source through
 * tsx, so no build is needed): outputs, stdout/stderr separation and exit codes. Each classify run
 * loads the model (seconds), so only two runs do; the rest fail before any model is needed.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { cli, killChildrenAfterEach, run } from '../helpers/cli.js';
import { EDGE, PROJECT, SMOKE } from '../helpers/paths.js';

const BEAGLE = path.join(SMOKE, 'beagle.jpg');
const NOT_AN_IMAGE = path.join(EDGE, 'not-an-image.jpg');
const MISSING = path.join(PROJECT, 'test', 'cli', 'no-such-image.jpg');

killChildrenAfterEach();

/** Table rows as cells (split on runs of 2+ spaces; the first row is the header). */
const rows = (out: string): string[][] => out.trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/));

describe('resnet-serve classify', () => {
  it('prints a table with beagle first and exits 0', { timeout: 120_000 }, async () => {
    const r = await run(['classify', BEAGLE]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const [header, first, ...rest] = rows(r.stdout);
    expect(header).toEqual(['FILE', 'RANK', 'LABEL', 'PROBABILITY']);
    expect(first[0]).toBe(BEAGLE);
    expect(first.slice(1, 3)).toEqual(['1', 'beagle']);
    expect(first[3]).toMatch(/^\d{1,3}\.\d\d%$/);
    expect(rest).toHaveLength(4); // --topk defaults to 5
  });

  it('--json: one JSON document on stdout; a bad file fails alone (exit 1), the others still print', { timeout: 120_000 }, async () => {
    const r = await run(['classify', '--json', '--topk', '3', BEAGLE, NOT_AN_IMAGE, MISSING]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as Array<{ file: string; predictions?: Array<{ label: string; probability: number; index: number }>; error?: { code: string; message: string } }>;
    expect(doc).toHaveLength(3);
    expect(doc[0].file).toBe(BEAGLE);
    expect(doc[0].predictions).toHaveLength(3);
    expect(doc[0].predictions?.[0]).toMatchObject({ label: 'beagle', index: 162 });
    expect(doc[1]).toEqual({ file: NOT_AN_IMAGE, error: { code: 'unsupported_image', message: expect.any(String) } });
    expect(doc[2]).toEqual({ file: MISSING, error: { code: 'file_not_found', message: 'no such file' } });
  });

  it('a missing file is exit 1 with the error on stderr (and needs no model)', async () => {
    const r = await run(['classify', MISSING]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${MISSING}: no such file (file_not_found)`);
  });

  it('--topk above the model\'s class count (model.yaml output.classes): exit 2 once the model is loaded', { timeout: 120_000 }, async () => {
    const r = await run(['classify', '--topk', '1001', BEAGLE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/invalid --topk="1001": expected an integer from 1 to 1000 \(the classes of resnet50\)/);
  });

  it.each([
    [['classify', '--topk', 'abc', BEAGLE], /invalid --topk="abc": expected an integer from 1 to the model's class count/],
    [['classify', '--topk', '0', BEAGLE], /invalid --topk="0"/],
    [['classify', '--engine', 'pytorch', BEAGLE], /invalid ENGINE="pytorch": expected one of onnx, tfjs \(--engine\)/],
    [['classify', '--frobnicate', BEAGLE], /Unknown option '--frobnicate'/],
    [['classify'], /no image files given/],
  ])('usage error %j: exit 2', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("Run 'resnet-serve classify --help' for usage.");
  });
});

describe('resnet-serve', () => {
  it.each([[['--help']], [['help']], [['-h']]])('%j prints the program help, exit 0', async (args) => {
    const r = await run(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: resnet-serve <command> \[options\]/);
    expect(r.stdout).toMatch(/^ {2}classify /m);
    expect(r.stdout).toMatch(/^ {2}serve /m);
    expect(r.stdout).toMatch(/^ {2}model /m);
  });

  it.each([
    [['classify', '--help'], /^usage: resnet-serve classify <image>\.\.\./],
    [['serve', '--help'], /^usage: resnet-serve serve \[--port N\]/],
    [['help', 'serve'], /^usage: resnet-serve serve /],
  ])('%j prints the command help, exit 0', async (args, first) => {
    const r = await run(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(first);
    expect(r.stdout).toMatch(/--engine NAME/);
  });

  it.each([
    [[], /no command given/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['serve', '--port', 'abc'], /invalid PORT="abc": expected an integer from 0 to 65535 \(--port\)/],
    [['serve', 'extra'], /Unexpected argument 'extra'/],
  ])('%j is a usage error, exit 2', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('serve --port 0: listens (page and probes answer) and stops cleanly on SIGTERM', async () => {
    // No waiting for the model: liveness and the page answer while it loads; SIGTERM ends the load.
    const child = cli(['serve', '--port', '0', '--host', '127.0.0.1'], { LOG_LEVEL: 'info' });
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`serve exited early (code ${code}): ${stdout}`)));
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m) resolve(m[1]);
      });
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>');
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('resnet-serve model', () => {
  const { modelCacheDir, modelRepository } = loadConfig(); // what the child reads from the same environment

  it.each([[['model', '--help']], [['help', 'model']]])('%j lists the model commands, exit 0', async (args) => {
    const r = await run(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: resnet-serve model <command> \[options\]/);
    for (const name of ['fetch', 'prepare', 'convert', 'quantize']) expect(r.stdout).toMatch(new RegExp(`^ {2}${name} `, 'm'));
  });

  it.each([
    [['model', 'fetch', '--help'], /^usage: resnet-serve model fetch \[--force\]/],
    [['help', 'model', 'prepare'], /^usage: resnet-serve model prepare \[--serving-only\]/],
    [['model', 'convert', '-h'], /^usage: resnet-serve model convert --out FILE\.onnx/],
    [['model', 'quantize', '--help'], /^usage: resnet-serve model quantize \[--calibration data-free\|DIR\] \[--method minmax\|percentile\|entropy\]/],
  ])('%j prints the command help, exit 0', async (args, first) => {
    const r = await run(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(first);
  });

  it.each([
    [['model'], 'resnet-serve model', /no model command given/],
    [['model', 'frobnicate'], 'resnet-serve model', /unknown model command 'frobnicate'/],
    [['model', 'fetch', '--frobnicate'], 'resnet-serve model fetch', /Unknown option '--frobnicate'/],
    [['model', 'convert'], 'resnet-serve model convert', /--out FILE is required/],
    [['model', 'quantize', '--method', 'median'], 'resnet-serve model quantize', /--method must be one of minmax, percentile, entropy/],
    [['model', 'quantize', '--method', 'entropy', '--calibration', 'data-free'], 'resnet-serve model quantize', /--method applies to image calibration/],
  ])('%j is a usage error, exit 2', async (args, who, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(`Run '${who} --help' for usage.`);
  });

  it('fetch finds the model already cached (exit 0); an unknown model is exit 1 in one line', async () => {
    const ok = await run(['model', 'fetch']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`resnet50 already cached in ${path.join(modelCacheDir, 'resnet50')}\n`);
    const bad = await run(['model', 'fetch'], { MODEL_NAME: 'no-such-model' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(`resnet-serve model fetch: cannot read model descriptor ${path.join(modelRepository, 'no-such-model', 'model.yaml')}: ENOENT\n`);
  });

  it('prepare for TF.js names the model file the engine loads', async () => {
    const r = await run(['model', 'prepare'], { ENGINE: 'tfjs' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`resnet50 ready for tfjs: ${path.join(modelCacheDir, 'resnet50', 'tfjs', 'model.json')}\n`);
  });

  it('prepare --serving-only refuses the TF.js engine (it needs the source), after preparing it: exit 1', async () => {
    const r = await run(['model', 'prepare', '--serving-only'], { ENGINE: 'tfjs' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`resnet50 ready for tfjs: ${path.join(modelCacheDir, 'resnet50', 'tfjs', 'model.json')}\n`);
    expect(r.stderr).toBe('resnet-serve model prepare: --serving-only keeps one ONNX build; the TF.js engine needs the source (ENGINE=onnx)\n');
  });
});

