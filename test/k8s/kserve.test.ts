/**
 * The KServe folder (k8s/kserve): kustomize renders it, the ClusterServingRuntime and the example
 * InferenceService validate against KServe's CRD fields (test/schemas/kserve.ts), the runtime
 * starts the server the way KServe expects (model at /mnt/models, the InferenceService's name, HTTP
 * 8080, gRPC h2c 8081, protocol v2), and the InferenceService selects the runtime the way KServe's
 * controller matches them. kubectl must be installed (`apt-get install -y kubectl`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { IContainer } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { configFromFlags } from '../../src/cli/commands/command.js';
import { serveCommand } from '../../src/cli/commands/serve.js';
import { SETTINGS } from '../../src/config/config.js';
import { PROJECT } from '../helpers/paths.js';
import { envOf, HARDENED_SECURITY_CONTEXT, IMAGE_REF, K8S_ROOT, kustomization, must, parseYaml, renderedObjects, runtimeStage, validateObject, type K8sObject } from './manifests.js';

const FOLDER = 'kserve';
const pkg = JSON.parse(readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const DIR = path.join(K8S_ROOT, FOLDER);

interface ModelFormat {
  name: string;
  version?: string;
  autoSelect?: boolean;
  priority?: number;
}
interface RuntimeSpec {
  supportedModelFormats: ModelFormat[];
  protocolVersions: string[];
  multiModel?: boolean;
  containers: IContainer[];
  volumes?: { name: string; emptyDir?: { sizeLimit?: string } }[];
  annotations?: Record<string, string>;
}
interface ModelSpec extends Omit<IContainer, 'name'> {
  modelFormat: { name: string; version?: string };
  runtime?: string;
  protocolVersion?: string;
  storageUri: string;
}
type Runtime = K8sObject & { spec: RuntimeSpec };
type InferenceService = K8sObject & { metadata: { annotations?: Record<string, string> }; spec: { predictor: { model: ModelSpec; minReplicas?: number } } };

const objs = (): K8sObject[] => renderedObjects(FOLDER);
const one = <T extends K8sObject>(list: K8sObject[], kind: string): T => {
  const found = list.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as T;
};
const runtime = (list = objs()): Runtime => one<Runtime>(list, 'ClusterServingRuntime');
const isvc = (list = objs()): InferenceService => one<InferenceService>(list, 'InferenceService');
/** The HTTP port the server is told to listen on (`--port N` in the runtime's args). */
const httpPort = (c: IContainer): number => Number(must(c.args?.[must(c.args?.indexOf('--port'), '--port') + 1], '--port value'));
const server = (rt: Runtime): IContainer => must(rt.spec.containers.find((c) => c.name === 'kserve-container'), 'the kserve-container');

/**
 * Whether KServe would run this model on this runtime: its controller's rule
 * (pkg/apis/serving/v1beta1/predictor_model.go, RuntimeSupportsModel / GetSupportingRuntimes). The
 * runtime offers "mt:<name>" and "mt:<name>:<version>" for each format (only autoSelect ones when the
 * model names no runtime); the model asks for "mt:<name>[:<version>]"; the protocol must be listed.
 */
function kserveSelects(model: ModelSpec, rt: Runtime): boolean {
  if (model.runtime !== undefined && model.runtime !== rt.metadata.name) return false;
  const offered = new Set<string>();
  for (const f of rt.spec.supportedModelFormats) {
    if (model.runtime === undefined && f.autoSelect !== true) continue;
    offered.add(`mt:${f.name}`);
    if (f.version !== undefined) offered.add(`mt:${f.name}:${f.version}`);
  }
  const wanted = model.modelFormat.version === undefined ? `mt:${model.modelFormat.name}` : `mt:${model.modelFormat.name}:${model.modelFormat.version}`;
  return offered.has(wanted) && rt.spec.protocolVersions.includes(model.protocolVersion ?? 'v1');
}

describe('k8s/kserve files', () => {
  const files = (): string[] => readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
  const kustomize = (): { resources: string[]; images: unknown[] } =>
    parseYaml(readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8'), 'k8s/kserve/kustomization.yaml')[0] as unknown as { resources: string[]; images: unknown[] };

  it('the kustomization lists exactly the manifest files, and the image is k8s/base`s', () => {
    expect([...kustomize().resources].sort()).toEqual(files());
    expect(kustomize().images).toEqual(kustomization().images);
  });

  it('every file parses and every document validates against its schema', () => {
    for (const f of files()) {
      for (const o of parseYaml(readFileSync(path.join(DIR, f), 'utf8'), f)) validateObject(o, `k8s/kserve/${f}`);
    }
  });
});

describe('kubectl kustomize k8s/kserve', () => {
  it('renders one ClusterServingRuntime and one InferenceService, both valid', () => {
    const list = objs();
    expect(list.map((o) => o.kind).sort()).toEqual(['ClusterServingRuntime', 'InferenceService']);
    for (const o of list) validateObject(o, 'kubectl kustomize k8s/kserve');
  });

  it('sets the registry image on the runtime and the recommended labels on both', () => {
    const list = objs();
    expect(server(runtime(list)).image).toBe(IMAGE_REF);
    const tag = kustomization().images[0].newTag;
    for (const o of list) {
      expect(o.metadata.labels, o.kind).toMatchObject({ 'app.kubernetes.io/name': 'resnet-serve', 'app.kubernetes.io/version': tag, 'app.kubernetes.io/managed-by': 'kustomize' });
    }
    expect((runtime(list).metadata as { namespace?: string }).namespace, 'cluster-scoped').toBeUndefined();
  });
});

describe('the runtime starts the server as KServe expects', () => {
  it('serves /mnt/models under the InferenceService`s name, HTTP on 8080 (--port, not PORT), gRPC on 8081', () => {
    const c = server(runtime());
    expect(envOf(c)).toMatchObject({ MODEL_PATH: '/mnt/models', MODEL_NAME: '{{.Name}}', GRPC_PORT: '8081' });
    // Knative reserves these (it refuses a spec that sets one; it sets PORT to the declared port).
    for (const reserved of ['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION']) expect(envOf(c)[reserved]).toBeUndefined();
    expect(c.args).toEqual(['node', `/app/${pkg.bin['resnet-serve']}`, 'serve', '--port', '8080']);
    expect(serveCommand.help).toMatch(/--port N\b.*PORT/);
    // The flag wins over the PORT Knative sets (8081 when the InferenceService declares only h2c).
    expect(configFromFlags([{ flag: 'port', env: 'PORT', value: '8080' }], { PORT: '8081', GRPC_PORT: '8081' }).port).toBe(8080);
    // The image's ENTRYPOINT (tini) stays; `args` replaces only its CMD; the app lives in /app.
    expect(c.command).toBeUndefined();
    expect(runtimeStage().find((i) => i.op === 'ENTRYPOINT')?.args).toContain('tini');
    expect(runtimeStage().find((i) => i.op === 'WORKDIR')?.args).toBe('/app');
    // No declared port: KServe routes HTTP to 8080 by default, and Knative allows one port per pod.
    expect(c.ports).toBeUndefined();
  });

  it('speaks protocol v2 (REST and gRPC), not v1; single-model', () => {
    const rt = runtime();
    expect([...rt.spec.protocolVersions].sort()).toEqual(['grpc-v2', 'v2']);
    expect(rt.spec.multiModel).toBe(false);
  });

  it('declares the formats the server reads: onnx 1, keras 2 and 3, tfjs; autoSelect only where no built-in runtime competes', () => {
    const formats = runtime().spec.supportedModelFormats;
    expect(formats.map((f) => `${f.name}${f.version ? `:${f.version}` : ''}`).sort()).toEqual(['keras:2', 'keras:3', 'onnx:1', 'tfjs']);
    expect(formats.filter((f) => f.autoSelect).map((f) => f.name).sort()).toEqual(['keras', 'keras', 'tfjs']);
    expect(formats.map((f) => f.name)).not.toContain('tensorflow'); // a SavedModel in KServe's terms
  });

  it('probes /readyz and /healthz on the HTTP port, by number', () => {
    const c = server(runtime());
    const port = httpPort(c);
    expect(c.startupProbe?.httpGet).toEqual({ path: '/readyz', port });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port });
    expect(runtime().spec.annotations).toMatchObject({ 'prometheus.kserve.io/port': String(port), 'prometheus.kserve.io/path': '/metrics' });
  });

  it('locked down as k8s/base; writable only TMPDIR and the model cache, sized emptyDirs, neither at a path Knative reserves', () => {
    const rt = runtime();
    const c = server(rt);
    expect(c.securityContext).toMatchObject(HARDENED_SECURITY_CONTEXT);
    const e = envOf(c);
    const mounts = (c.volumeMounts ?? []).map((m) => m.mountPath).sort();
    expect(mounts).toEqual([e.TMPDIR, e.MODEL_CACHE_DIR].sort());
    // knative.dev/serving pkg/apis/serving/k8s_validation.go: reservedPaths.
    for (const m of mounts) expect(['/', '/dev', '/dev/log', '/tmp', '/var', '/var/log']).not.toContain(m);
    const volumes = new Map((rt.spec.volumes ?? []).map((v) => [v.name, v]));
    for (const m of c.volumeMounts ?? []) expect(volumes.get(m.name)?.emptyDir?.sizeLimit, m.mountPath).toBeDefined();
  });

  it('THREADS equals the CPU limit in the runtime and in the example; memory at least the model`s ~430 MB', () => {
    const c = server(runtime());
    const model = isvc().spec.predictor.model;
    for (const r of [c.resources, model.resources]) {
      expect(String(r?.limits?.cpu)).toBe(envOf(c).THREADS);
      expect(String(r?.requests?.memory)).toMatch(/^\d+(Mi|Gi)$/);
      const mi = Number.parseInt(String(r?.requests?.memory), 10) * (String(r?.requests?.memory).endsWith('Gi') ? 1024 : 1);
      expect(mi).toBeGreaterThanOrEqual(512);
    }
  });
});

it('every env var the runtime and the example set is a setting the server reads', () => {
  const known = new Set(SETTINGS.map((s) => s.env));
  const used = [...(server(runtime()).env ?? []), ...(isvc().spec.predictor.model.env ?? [])].map((e) => e.name);
  // TMPDIR is read by Node (os.tmpdir()) and libvips, not by the server's configuration.
  expect(used.filter((n) => !known.has(n) && n !== 'TMPDIR')).toEqual([]);
});

describe('the example InferenceService', () => {
  it('names the runtime, protocol v2 and a storageUri, and KServe would select the runtime for it', () => {
    const list = objs();
    const model = isvc(list).spec.predictor.model;
    expect(model.runtime).toBe(runtime(list).metadata.name);
    expect(model.protocolVersion).toBe('v2');
    expect(model.storageUri).toMatch(/^gs:\/\/.+/);
    expect(kserveSelects(model, runtime(list))).toBe(true);
  });

  it('the selection rule really refuses: a format the runtime lacks, v1, or (without runtime:) onnx', () => {
    const rt = runtime();
    const model = isvc().spec.predictor.model;
    expect(kserveSelects({ ...model, modelFormat: { name: 'tensorflow' } }, rt)).toBe(false);
    expect(kserveSelects({ ...model, modelFormat: { name: 'keras', version: '1' } }, rt)).toBe(false);
    expect(kserveSelects({ ...model, protocolVersion: 'v1' }, rt)).toBe(false);
    expect(kserveSelects({ ...model, runtime: undefined }, rt)).toBe(false); // onnx is not autoSelect
    expect(kserveSelects({ ...model, runtime: undefined, modelFormat: { name: 'keras', version: '3' } }, rt)).toBe(true);
    expect(kserveSelects({ ...model, runtime: undefined, modelFormat: { name: 'tfjs' } }, rt)).toBe(true);
  });

  it('Standard mode with HTTP first (behind port 80) and gRPC as h2c, on the ports the runtime sets', () => {
    const list = objs();
    const c = server(runtime(list));
    const i = isvc(list);
    expect(i.metadata.annotations?.['serving.kserve.io/deploymentMode']).toBe('RawDeployment');
    expect(i.spec.predictor.model.ports).toEqual([
      { name: 'http1', containerPort: httpPort(c), protocol: 'TCP' },
      { name: 'h2c', containerPort: Number(envOf(c).GRPC_PORT), protocol: 'TCP' },
    ]);
  });

  it('gives an ONNX model its preprocessing (the server refuses an ONNX model without one)', () => {
    const model = isvc().spec.predictor.model;
    expect(model.modelFormat.name).toBe('onnx');
    expect(['caffe', 'tf', 'torch']).toContain(envOf({ name: 'model', ...model }).PREPROCESS);
  });
});

describe('the KServe schemas really reject broken documents', () => {
  const reject = (o: K8sObject, pattern: RegExp): void => {
    expect(() => validateObject(o, 'mutated')).toThrow(pattern);
  };

  it('a port number given as a name, in the runtime and in the InferenceService', () => {
    const rt = structuredClone(runtime());
    must(server(rt).startupProbe?.httpGet, 'httpGet').port = { port: 8080 } as never;
    reject(rt, /startupProbe.*Probe|Probe.*port/);
    const i = structuredClone(isvc());
    must(i.spec.predictor.model.ports, 'ports')[1].containerPort = 'h2c' as unknown as number;
    reject(i, /containerPort/);
  });

  it('a missing storageUri, a misspelt field, an unknown protocol, a bad name', () => {
    const noUri = structuredClone(isvc());
    delete (noUri.spec.predictor.model as Partial<ModelSpec>).storageUri;
    reject(noUri, /storageUri/);
    const typo = structuredClone(isvc()) as unknown as K8sObject & { spec: { predictor: { model: Record<string, unknown> } } };
    typo.spec.predictor.model.storageURI = typo.spec.predictor.model.storageUri;
    reject(typo, /storageURI/);
    const proto = structuredClone(runtime());
    proto.spec.protocolVersions = ['v3'];
    reject(proto, /protocolVersions/);
    const name = structuredClone(isvc());
    name.metadata.name = 'My_Classifier';
    reject(name, /metadata\/name/);
  });

  it('a runtime without containers, a format priority of 0, a namespace on the cluster-scoped runtime', () => {
    const none = structuredClone(runtime());
    none.spec.containers = [];
    reject(none, /containers/);
    const prio = structuredClone(runtime());
    prio.spec.supportedModelFormats[1].priority = 0;
    reject(prio, /priority/);
    const ns = structuredClone(runtime()) as Runtime & { metadata: { namespace?: string } };
    ns.metadata.namespace = 'default';
    reject(ns, /metadata/);
  });
});
