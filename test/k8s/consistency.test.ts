/**
 * The manifests, the Dockerfile and the README describe the service that really exists: probe paths
 * are real routes answering what each probe expects, one port (the config default, 5000) appears
 * everywhere, and one image name and tag are used by the Dockerfile, kustomize and the README.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { PUBLIC_DIR } from '../../src/http/routes/ui.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PROJECT } from '../helpers/paths.js';
import type { IContainer, IProbe } from 'kubernetes-models/v1';
import {
  appContainer,
  envOf,
  envPairs,
  globalArgs,
  IMAGE_REF,
  kustomization,
  LOCAL_TAG,
  must,
  rawObjects,
  README_BEGIN,
  README_END,
  readmeDeploymentBlock,
  renderedObjects,
  runtimeStage,
  dockerfile,
  specOf,
  type K8sObject,
} from './manifests.js';

const pkg = JSON.parse(readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { name: string; version: string };
const raw = (): K8sObject[] => rawObjects().map((o) => o.obj);
const container = (): IContainer => appContainer(raw());
const annotations = (): Record<string, string> => must(specOf(raw(), 'Deployment').template.metadata?.annotations, 'pod annotations');
const namedPort = (name: string): number | undefined => container().ports?.find((p) => p.name === name)?.containerPort;
/** A probe's HTTP path and port; every probe here must be an httpGet. */
const httpGet = (probe: IProbe | undefined, which: string): { path: string; port: string | number } => {
  const g = must(must(probe, which).httpGet, `${which}.httpGet`);
  return { path: must(g.path, `${which} path`), port: g.port };
};

describe('probes hit the routes the app serves', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({}, { load: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('startup and readiness use /readyz (503 before the model loads), liveness /healthz (200)', async () => {
    const c = container();
    const [startup, readiness, liveness] = [httpGet(c.startupProbe, 'startupProbe'), httpGet(c.readinessProbe, 'readinessProbe'), httpGet(c.livenessProbe, 'livenessProbe')];
    expect(startup.path).toBe('/readyz');
    expect(readiness.path).toBe('/readyz');
    expect(liveness.path).toBe('/healthz');
    // Before the model loads: not ready (so not routed to), but alive (so not restarted).
    await request(t.app.server).get(readiness.path).expect(503);
    await request(t.app.server).get(startup.path).expect(503);
    await request(t.app.server).get(liveness.path).expect(200);
  });

  it('the Prometheus scrape path is served', async () => {
    const res = await request(t.app.server).get(annotations()['prometheus.io/path']).expect(200);
    expect(res.text).toContain('# TYPE');
  });

  it('every probe targets the container port the app listens on', () => {
    const c = container();
    for (const [probe, which] of [[c.startupProbe, 'startupProbe'], [c.readinessProbe, 'readinessProbe'], [c.livenessProbe, 'livenessProbe']] as const) {
      const { port } = httpGet(probe, which);
      expect(typeof port === 'string' ? namedPort(port) : port).toBe(loadConfig({}).port);
    }
  });
});

describe('one port everywhere: 5000', () => {
  it('config default = containerPort = PORT env = Dockerfile EXPOSE and ENV = scrape port; Service 80 -> 5000', () => {
    const port = loadConfig({}).port;
    expect(port).toBe(5000);
    expect(namedPort('http')).toBe(port);
    const env = envOf(container());
    expect(Number(env.PORT)).toBe(port);
    const runtime = runtimeStage();
    const grpcPort = loadConfig({}).grpcPort;
    expect(runtime.filter((i) => i.op === 'EXPOSE').map((i) => i.args.trim())).toEqual([`${port} ${grpcPort}`]);
    expect(namedPort('grpc')).toBe(grpcPort);
    expect(must(specOf(raw(), 'Service').ports, 'Service ports').find((p) => p.name === 'grpc')).toMatchObject({ port: grpcPort, targetPort: 'grpc' });
    expect(Number(envPairs(runtime).PORT ?? port)).toBe(port);
    expect(annotations()['prometheus.io/port']).toBe(`${port}`);
    const svcPort = must(specOf(raw(), 'Service').ports, 'Service ports')[0];
    expect(svcPort.port).toBe(80);
    expect(namedPort(String(svcPort.targetPort))).toBe(port);
  });
});

describe('the Node line', () => {
  // One line everywhere: .nvmrc (what CI installs), engines.node, @types/node, the Dockerfile's base,
  // and every place the docs name a Node version or a node base image.
  it('is the same in .nvmrc, package.json, the Dockerfile, the docs and the manifests', () => {
    const line = readFileSync(path.join(PROJECT, '.nvmrc'), 'utf8').trim();
    const manifest = JSON.parse(readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { engines: { node: string }; devDependencies: Record<string, string> };
    expect(manifest.engines.node).toBe(`>=${line}`);
    expect(manifest.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${line}\\.`));
    expect(globalArgs().NODE_IMAGE).toBe(`node:${line}-bookworm-slim`);
    const docs = ['README.md', ...readdirSync(path.join(PROJECT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), ...readdirSync(path.join(PROJECT, 'k8s'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).map((f) => `k8s/${f}`)];
    for (const doc of docs) {
      const text = readFileSync(path.join(PROJECT, doc), 'utf8');
      for (const m of text.matchAll(/node:(\d+)-|Node(?:\.js)? (\d+)(?![\d.]*\s*(?:ms|s|MB))/g)) {
        expect(`${doc}: ${m[0]}`).toBe(`${doc}: ${m[0].replace(m[1] ?? m[2], line)}`);
      }
    }
  });
});

describe('the Dockerfile', () => {
  it('builds on node:24-bookworm-slim, runs as numeric uid 1000, offline, and is healthy only when ready', () => {
    expect(globalArgs().NODE_IMAGE).toBe('node:24-bookworm-slim');
    const all = dockerfile();
    expect(all.filter((i) => i.op === 'FROM').length).toBeGreaterThanOrEqual(2); // multi-stage
    const runtime = runtimeStage();
    expect(runtime[0].args).toBe('${NODE_IMAGE}');
    const users = runtime.filter((i) => i.op === 'USER').map((i) => i.args.trim());
    expect(users.at(-1)).toMatch(/^1000(:1000)?$/);
    const env = envPairs(runtime);
    expect(env.MODEL_FETCH).toBe('never');
    expect(env.ENGINE).toBe('${ENGINE}');
    const health = runtime.find((i) => i.op === 'HEALTHCHECK');
    expect(health?.args).toContain('/readyz');
    expect(runtime.find((i) => i.op === 'CMD')?.args).toContain('dist/server.js');
  });

  it('installs production dependencies only in the image and prepares the model at build time', () => {
    const runs = dockerfile().filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs.some((r) => r.includes('npm run model:prepare'))).toBe(true);
    expect(globalArgs()).toMatchObject({ ENGINE: 'onnx', MODEL_PRECISION: 'int8' });
  });
});

describe('the build context', () => {
  it('.dockerignore is an allow-list that carries what the image needs and not local artefacts', () => {
    const rules = readFileSync(path.join(PROJECT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(rules[0]).toBe('*');
    // The web page is served from the project folder at run time: it must reach the image.
    expect(path.relative(PROJECT, PUBLIC_DIR)).toBe('public');
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/', 'public/', 'models/']) {
      expect(rules, `.dockerignore lets ${needed} in`).toContain(`!${needed}`);
    }
    expect(rules, 'the local model cache stays out (the build prepares its own)').toContain('models/cache/');
    const build = dockerfile().filter((i) => i.op === 'RUN').map((i) => i.args).join(' ');
    expect(build).toContain('public');
  });
});

describe('one image name and tag: Dockerfile, kustomize, README', () => {
  it('local tag is <package name>:<version>, the registry image ends with it', () => {
    expect(LOCAL_TAG).toBe(`${pkg.name}:${pkg.version}`);
    expect(IMAGE_REF.endsWith(`/${LOCAL_TAG}`)).toBe(true);
    expect(globalArgs().VERSION).toBe(pkg.version);
  });

  it('kustomize images: maps the Deployment image name to the registry image', () => {
    const images = kustomization().images;
    expect(images).toHaveLength(1);
    expect(container().image).toBe(images[0].name);
    expect(images[0].name).toBe(pkg.name);
    expect(`${images[0].newName}:${images[0].newTag}`).toBe(IMAGE_REF);
    expect(appContainer(renderedObjects()).image).toBe(IMAGE_REF);
  });

  it(`README.md has the deployment section between ${README_BEGIN} and ${README_END}, with the same image and ports`, () => {
    const block = readmeDeploymentBlock();
    expect(block?.trim(), `README.md lacks the deployment section between ${README_BEGIN} and ${README_END}, or it is empty`).toBeTruthy();
    for (const s of [
      `docker build -t ${LOCAL_TAG}`,
      '-p 5000:5000',
      '--read-only',
      IMAGE_REF,
      `docker tag ${LOCAL_TAG} ${IMAGE_REF}`,
      `docker push ${IMAGE_REF}`,
      `--image=${IMAGE_REF}`,
      '--port 5000',
      '--port 80 --target-port 5000',
      'kubectl apply -k k8s/base',
      'kubectl rollout status',
      'kubectl rollout undo',
    ]) {
      expect(block, `README deployment block mentions ${s}`).toContain(s);
    }
    // No stale tag slipped in: only this version, and the next patch in the rollout example.
    const [major, minor, patch] = pkg.version.split('.').map(Number);
    const allowed = [pkg.version, `${major}.${minor}.${patch + 1}`];
    for (const m of block!.matchAll(/resnet-serve:(\d+\.\d+\.\d+)/g)) expect(allowed, `image tag ${m[0]} in README`).toContain(m[1]);
  });
});
