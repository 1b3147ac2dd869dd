/**
 * Reads what ships the service: the Kubernetes manifests in k8s/base (as files and as kustomize
 * renders them) and in the optional overlays beside it, the Dockerfile, and the README's deployment
 * block. Tests only.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service, type IContainer, type IPodSpec, type IService } from 'kubernetes-models/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { parseAllDocuments } from 'yaml';
import { PROJECT } from '../helpers/paths.js';
import { kserveSchemaFor, validateKServe } from '../schemas/kserve.js';

export const K8S_ROOT = path.join(PROJECT, 'k8s');
export const K8S_DIR = path.join(K8S_ROOT, 'base');
export const DOCKERFILE = path.join(PROJECT, 'Dockerfile');
export const README = path.join(PROJECT, 'README.md');

/** The container security context every manifest of ours runs with (k8s/base, the KServe runtime). */
export const HARDENED_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: 1000,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** What the README's deployment section must mention, agreed with the README's owner. */
export const IMAGE_REF = 'harbor.example.com/ml/resnet-serve:0.1.0';
export const LOCAL_TAG = 'resnet-serve:0.1.0';
export const README_BEGIN = '<!-- deploy:start -->';
export const README_END = '<!-- deploy:end -->';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: unknown };

/** The typed shape of each kind we ship (kubernetes-models' interfaces). */
interface Kinds {
  Deployment: IDeployment;
  Service: IService;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  PodDisruptionBudget: IPodDisruptionBudget;
}

/** The value, or a test failure naming what the manifest lacks. */
export function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`manifest lacks ${what}`);
  return value;
}

interface Validatable {
  validate(): void;
}

/** One kubernetes-models class per kind we ship: validate() checks against the API's JSON schema. */
const MODELS: Record<string, new (data: never) => Validatable> = {
  'apps/v1/Deployment': Deployment as never,
  'v1/Service': Service as never,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as never,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as never,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject as never,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor as never,
};

/** Parses a multi-document YAML text; any YAML error throws with the source name. */
export function parseYaml(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as K8sObject | null;
    return value === null ? [] : [value];
  });
}

/**
 * Validates the object against its kind's schema: kubernetes-models' class, or for KServe's kinds
 * our schema (test/schemas/kserve.ts); throws naming the object.
 */
export function validateObject(obj: K8sObject, source: string): void {
  const key = `${obj.apiVersion}/${obj.kind}`;
  if (kserveSchemaFor(obj.apiVersion, obj.kind)) {
    try {
      validateKServe(obj);
    } catch (err) {
      throw new Error(`${source}: ${obj.kind}/${obj.metadata?.name} is not valid: ${(err as Error).message}`, { cause: err });
    }
    return;
  }
  const Model = MODELS[key];
  if (!Model) throw new Error(`${source}: ${key} has no kubernetes-models class in test/k8s/manifests.ts; add one`);
  try {
    new Model(obj as never).validate();
  } catch (err) {
    throw new Error(`${source}: ${obj.kind}/${obj.metadata?.name} is not valid: ${(err as Error).message}`, { cause: err });
  }
}

/** The resource files kustomization.yaml lists, parsed. */
export function kustomization(): { resources: string[]; images: { name: string; newName: string; newTag: string }[]; labels: unknown[] } {
  const [k] = parseYaml(readFileSync(path.join(K8S_DIR, 'kustomization.yaml'), 'utf8'), 'k8s/base/kustomization.yaml') as unknown as [
    { resources: string[]; images: { name: string; newName: string; newTag: string }[]; labels: unknown[] },
  ];
  return k;
}

export function manifestFiles(): string[] {
  return readdirSync(K8S_DIR)
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
    .sort();
}

export function rawObjects(): { file: string; obj: K8sObject }[] {
  return manifestFiles().flatMap((file) => parseYaml(readFileSync(path.join(K8S_DIR, file), 'utf8'), `k8s/base/${file}`).map((obj) => ({ file, obj })));
}

const rendered = new Map<string, string>();

/** `kubectl kustomize k8s/<folder>`, once per folder and test file. Without kubectl this fails, saying how to get it. */
export function renderKustomize(folder = 'base'): string {
  const done = rendered.get(folder);
  if (done !== undefined) return done;
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', path.join(K8S_ROOT, folder)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('kubectl is not installed (not on PATH): the k8s tests render k8s/ with `kubectl kustomize`. Install it, e.g. `apt-get install -y kubectl` (CI does this).', { cause: err });
    }
    throw new Error(`kubectl kustomize k8s/${folder} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
  rendered.set(folder, text);
  return text;
}

export function renderedObjects(folder = 'base'): K8sObject[] {
  return parseYaml(renderKustomize(folder), `kubectl kustomize k8s/${folder}`);
}

export function find<K extends keyof Kinds>(objs: K8sObject[], kind: K): Kinds[K] {
  const found = objs.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}, found ${found.length}`);
  return found[0] as unknown as Kinds[K];
}

/** A kind's spec, which every object we ship has. */
export const specOf = <K extends keyof Kinds>(objs: K8sObject[], kind: K): NonNullable<Kinds[K]['spec']> =>
  must(find(objs, kind).spec, `${kind} spec`) as NonNullable<Kinds[K]['spec']>;

export const podSpec = (objs: K8sObject[]): IPodSpec => must(must(find(objs, 'Deployment').spec, 'Deployment spec').template.spec, 'pod spec');

/** The one container of the pod. */
export const appContainer = (objs: K8sObject[]): IContainer => {
  const cs = podSpec(objs).containers;
  if (cs.length !== 1) throw new Error(`expected one container, found ${cs.length}`);
  return cs[0];
};

export const envOf = (c: IContainer): Record<string, string> => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? '']));

/** Dockerfile instructions, continuation lines joined and comments dropped, per stage. */
export interface DockerInstruction {
  stage: number;
  op: string;
  args: string;
}

export function dockerfile(): DockerInstruction[] {
  const lines = readFileSync(DOCKERFILE, 'utf8').split('\n');
  const out: DockerInstruction[] = [];
  let stage = -1;
  let current = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (current !== '' && line.startsWith('#')) continue; // comment inside a continued instruction
    current += (current ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const m = /^(\S+)\s*(.*)$/.exec(current);
    current = '';
    if (!m) continue;
    const op = m[1].toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ stage, op, args: m[2] });
  }
  return out;
}

/** The runtime (last) stage's instructions. */
export function runtimeStage(): DockerInstruction[] {
  const all = dockerfile();
  const last = Math.max(...all.map((i) => i.stage));
  return all.filter((i) => i.stage === last);
}

/** `KEY=value` pairs of ENV instructions (quotes removed). */
export function envPairs(instructions: DockerInstruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of instructions.filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return env;
}

/** Global (before the first FROM) ARG defaults. */
export function globalArgs(): Record<string, string> {
  const args: Record<string, string> = {};
  for (const i of dockerfile().filter((x) => x.stage === -1 && x.op === 'ARG')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(i.args);
    if (m) args[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return args;
}

/** The README text between the deployment markers, or undefined when the README lacks them. */
export function readmeDeploymentBlock(): string | undefined {
  let text: string;
  try {
    text = readFileSync(README, 'utf8');
  } catch {
    return undefined;
  }
  const start = text.indexOf(README_BEGIN);
  const end = text.indexOf(README_END);
  return start >= 0 && end > start ? text.slice(start + README_BEGIN.length, end) : undefined;
}
