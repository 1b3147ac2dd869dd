/**
 * The Kubernetes manifests stay valid and reviewable: every document parses and validates against
 * the Kubernetes API schemas (kubernetes-models), kustomize renders them, the pieces point at each
 * other, and the pod runs locked down and shuts down inside its grace period.
 * kubectl must be installed (`apt-get install -y kubectl`); without it the render tests fail.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appContainer,
  envOf,
  find,
  HARDENED_SECURITY_CONTEXT,
  IMAGE_REF,
  K8S_DIR,
  kustomization,
  manifestFiles,
  must,
  parseYaml,
  podSpec,
  rawObjects,
  renderedObjects,
  runtimeStage,
  specOf,
  validateObject,
  type K8sObject,
} from './manifests.js';

const SELECTOR = { 'app.kubernetes.io/name': 'resnet-serve' };

const container = appContainer;
const env = envOf;
const podLabels = (objs: K8sObject[]): Record<string, string> => must(specOf(objs, 'Deployment').template.metadata?.labels, 'pod labels');

/** Kubernetes CPU quantity ("2", "1500m") in cores. */
function cores(q: string | number): number {
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
}

/** Kubernetes memory quantity in bytes (binary and decimal suffixes). */
function bytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`unparsed quantity ${q}`);
  const unit: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? unit[m[2]] : 1);
}

describe('k8s/base files', () => {
  it('every file parses as YAML', () => {
    for (const f of [...manifestFiles(), 'kustomization.yaml']) {
      expect(() => parseYaml(readFileSync(path.join(K8S_DIR, f), 'utf8'), f), f).not.toThrow();
    }
  });

  it('every document validates against the Kubernetes API schema', () => {
    const objs = rawObjects();
    expect(objs.map((o) => o.obj.kind).sort()).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service']);
    for (const { file, obj } of objs) validateObject(obj, `k8s/base/${file}`);
  });

  it('the kustomization lists exactly the manifest files', () => {
    expect([...kustomization().resources].sort()).toEqual(manifestFiles());
  });

  it('the schema check really rejects a broken object', () => {
    const bad = structuredClone(rawObjects().map((o) => o.obj));
    must(appContainer(bad).ports, 'ports')[0].containerPort = 'http' as unknown as number;
    expect(() => validateObject(bad.find((o) => o.kind === 'Deployment') as K8sObject, 'mutated')).toThrow(/containerPort/);
  });
});

describe('kubectl kustomize k8s/base', () => {
  it('renders, and every rendered object validates', () => {
    const objs = renderedObjects();
    expect(objs.map((o) => o.kind).sort()).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service']);
    for (const o of objs) validateObject(o, 'kubectl kustomize k8s/base');
  });

  it('sets the registry image and the common labels', () => {
    const objs = renderedObjects();
    expect(container(objs).image).toBe(IMAGE_REF);
    const tag = kustomization().images[0].newTag;
    const common = {
      'app.kubernetes.io/name': 'resnet-serve',
      'app.kubernetes.io/instance': 'resnet-serve',
      'app.kubernetes.io/version': tag, // the recommended version label is the image tag
      'app.kubernetes.io/part-of': 'resnet-serve',
      'app.kubernetes.io/managed-by': 'kustomize',
    };
    for (const o of objs) expect(o.metadata.labels, `${o.kind} labels`).toMatchObject(common);
    expect(podLabels(objs)).toMatchObject(common);
    // Selectors are immutable on a Deployment: they keep to the one stable label.
    expect(specOf(objs, 'Deployment').selector.matchLabels).toEqual(SELECTOR);
  });
});

describe('the pieces fit together', () => {
  const objs = (): K8sObject[] => renderedObjects();

  it('Service, PDB and spread constraints select the Deployment pods', () => {
    const o = objs();
    const labels = podLabels(o);
    const selects = (sel: Record<string, string> | undefined): boolean => Object.entries(must(sel, 'selector')).every(([k, v]) => labels[k] === v);
    expect(selects(specOf(o, 'Service').selector)).toBe(true);
    expect(selects(specOf(o, 'PodDisruptionBudget').selector?.matchLabels)).toBe(true);
    const spread = must(podSpec(o).topologySpreadConstraints, 'topologySpreadConstraints');
    expect(spread.map((s) => s.topologyKey)).toContain('kubernetes.io/hostname');
    for (const s of spread) expect(selects(s.labelSelector?.matchLabels)).toBe(true);
  });

  it('Deployment: 2 replicas, rolling update that never drops below the ready count', () => {
    const d = specOf(objs(), 'Deployment');
    expect(d.replicas).toBe(2);
    expect(d.strategy).toMatchObject({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } });
  });

  it('Service: LoadBalancer, port 80 to the named container port http, 8001 to grpc (h2c)', () => {
    const svc = specOf(objs(), 'Service');
    expect(svc.type).toBe('LoadBalancer');
    expect(svc.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'grpc', port: 8001, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
    ]);
  });

  it('HPA: autoscaling/v2 on CPU utilisation of the Deployment, at least 2 replicas', () => {
    const o = objs();
    expect(find(o, 'HorizontalPodAutoscaler').apiVersion).toBe('autoscaling/v2');
    const hpa = specOf(o, 'HorizontalPodAutoscaler');
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: find(o, 'Deployment').metadata?.name });
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.maxReplicas).toBeGreaterThan(must(hpa.minReplicas, 'minReplicas'));
    expect(hpa.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
    // Utilisation is relative to requests: the container must request CPU.
    expect(container(o).resources?.requests?.cpu).toBeDefined();
  });

  it('PDB: one pod at a time, never both', () => {
    const pdb = specOf(objs(), 'PodDisruptionBudget');
    const ok = pdb.maxUnavailable === 1 || pdb.minAvailable === 1;
    expect(ok, JSON.stringify(pdb)).toBe(true);
  });

  it('Prometheus scrape annotations point at /metrics on the container port', () => {
    const o = objs();
    const ann = specOf(o, 'Deployment').template.metadata?.annotations;
    const port = container(o).ports?.find((p) => p.name === 'http')?.containerPort;
    expect(ann).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
  });
});

describe('pod security', () => {
  it('pod security context: non-root uid 1000, RuntimeDefault seccomp, no API token', () => {
    const spec = podSpec(renderedObjects());
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.automountServiceAccountToken).toBe(false);
  });

  it('container security context: read-only root, no privilege escalation, all capabilities dropped', () => {
    const c = container(renderedObjects());
    expect(c.securityContext).toMatchObject(HARDENED_SECURITY_CONTEXT);
    expect(c.securityContext?.privileged ?? false).toBe(false);
    expect(c.securityContext?.capabilities?.add ?? []).toEqual([]);
  });

  it('every path the image declares writable (VOLUME) is an emptyDir mount, and only those', () => {
    const o = renderedObjects();
    const declared = runtimeStage()
      .filter((i) => i.op === 'VOLUME')
      .flatMap((i) => (i.args.trim().startsWith('[') ? (JSON.parse(i.args) as string[]) : i.args.split(/\s+/)));
    const volumes = new Map((podSpec(o).volumes ?? []).map((v) => [v.name, v]));
    const mounts = container(o).volumeMounts ?? [];
    expect(mounts.map((m) => m.mountPath).sort()).toEqual([...declared].sort());
    for (const m of mounts) {
      expect(volumes.get(m.name)?.emptyDir, `${m.mountPath} is an emptyDir`).toBeDefined();
      expect(volumes.get(m.name)?.emptyDir?.sizeLimit, `${m.mountPath} has a sizeLimit`).toBeDefined();
    }
  });
});

describe('resources and shutdown', () => {
  it('THREADS equals the CPU limit; requests and limits are set and consistent', () => {
    const c = container(renderedObjects());
    const requests = must(c.resources?.requests, 'resource requests');
    const limits = must(c.resources?.limits, 'resource limits');
    const q = (v: string | number | undefined, what: string): string => String(must(v, what));
    expect(Number(env(c).THREADS)).toBe(cores(q(limits.cpu, 'cpu limit')));
    expect(cores(q(requests.cpu, 'cpu request'))).toBeLessThanOrEqual(cores(q(limits.cpu, 'cpu limit')));
    expect(bytes(q(requests.memory, 'memory request'))).toBeLessThanOrEqual(bytes(q(limits.memory, 'memory limit')));
    expect(bytes(q(requests.memory, 'memory request'))).toBeGreaterThanOrEqual(512 * 2 ** 20); // the model alone is ~430 MB resident
  });

  it('terminationGracePeriodSeconds > preStop pause + SHUTDOWN_GRACE_MS, and the grace covers a request deadline', () => {
    const o = renderedObjects();
    const spec = podSpec(o);
    const c = container(o);
    const preStop = must(c.lifecycle?.preStop, 'preStop hook');
    const pause = preStop.sleep?.seconds ?? Number(preStop.exec?.command?.at(-1));
    expect(pause).toBeGreaterThan(0);
    const e = env(c);
    expect(e.SHUTDOWN_GRACE_MS, 'SHUTDOWN_GRACE_MS is set explicitly').toBeDefined();
    const graceSeconds = Number(e.SHUTDOWN_GRACE_MS) / 1000;
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(pause + graceSeconds);
    if (e.REQUEST_TIMEOUT_MS) expect(Number(e.SHUTDOWN_GRACE_MS)).toBeGreaterThanOrEqual(Number(e.REQUEST_TIMEOUT_MS));
  });
});
