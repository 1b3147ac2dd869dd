/**
 * The optional KEDA overlay (k8s/autoscaling-keda): it renders, every object validates against its
 * CRD's schema (@kubernetes-models/keda, @kubernetes-models/prometheus-operator), the CPU HPA is
 * replaced rather than doubled, and the query scales on a metric the service really exports, scraped
 * from the port the container really names.
 */
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/metrics.js';
import { appContainer, must, renderedObjects, validateObject, type K8sObject } from './manifests.js';

const FOLDER = 'autoscaling-keda';
const objs = (): K8sObject[] => renderedObjects(FOLDER);
const one = (kind: string): K8sObject & { spec: Record<string, unknown> } => {
  const found = objs().filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as K8sObject & { spec: Record<string, unknown> };
};

interface Trigger {
  type: string;
  metricType?: string;
  metadata: Record<string, string>;
}

describe('k8s/autoscaling-keda', () => {
  it('renders the base without its CPU HPA, plus a ScaledObject and a PodMonitor, all valid', () => {
    expect(objs().map((o) => o.kind).sort()).toEqual(['Deployment', 'PodDisruptionBudget', 'PodMonitor', 'ScaledObject', 'Service']);
    for (const o of objs()) validateObject(o, `kubectl kustomize k8s/${FOLDER}`);
  });

  it('the schema check rejects a broken ScaledObject', () => {
    const bad = structuredClone(one('ScaledObject'));
    (bad.spec as { triggers: unknown }).triggers = 'prometheus';
    expect(() => validateObject(bad, 'mutated')).toThrow(/triggers/);
  });

  it('scales the Deployment on the exported queue depth, per pod, with CPU as a second signal', async () => {
    const spec = one('ScaledObject').spec as { scaleTargetRef: { kind: string; name: string }; minReplicaCount: number; triggers: Trigger[] };
    const deployment = one('Deployment');
    expect(spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(spec.minReplicaCount).toBe(2);
    const prom = must(spec.triggers.find((t) => t.type === 'prometheus'), 'a prometheus trigger');
    expect(prom.metricType).toBe('AverageValue');
    expect(prom.metadata.threshold).toBe('8');
    const metric = must(/^sum\((\w+)\{/.exec(prom.metadata.query), 'a sum(metric{...}) query')[1];
    expect(metric).toBe('inference_queue_depth');
    const exported = await new Metrics().registry.metrics();
    expect(exported).toContain(`# TYPE ${metric} gauge`);
    expect(prom.metadata.query).toContain(`container="${appContainer([deployment]).name}"`);
    expect(spec.triggers.find((t) => t.type === 'cpu')?.metadata.value).toBe('70');
  });

  it('the PodMonitor scrapes /metrics on the container port the pods name, selecting those pods', () => {
    const spec = one('PodMonitor').spec as { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; path: string }[] };
    const deployment = one('Deployment') as K8sObject & { spec: { template: { metadata: { labels: Record<string, string> } } } };
    expect(deployment.spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
    const ports = must(appContainer([deployment]).ports, 'container ports').map((p) => p.name);
    expect(spec.podMetricsEndpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    expect(ports).toContain('http');
  });
});
