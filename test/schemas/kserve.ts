/**
 * JSON Schemas of the two KServe resources k8s/kserve ships, written from KServe's own definitions
 * (kserve/kserve: config/crd/full/serving.kserve.io_clusterservingruntimes.yaml and
 * serving.kserve.io_inferenceservices.yaml, and the Go types in pkg/apis/serving/v1alpha1 and
 * v1beta1): ClusterServingRuntime (serving.kserve.io/v1alpha1) and InferenceService
 * (serving.kserve.io/v1beta1). There is no kubernetes-models package for KServe's CRDs.
 *
 * What they check:
 * - KServe's own fields (supported model formats, protocol versions, the predictor's model and
 *   scaling fields) with the CRD's types and enums, and KServe's rules the webhook enforces
 *   (InferenceService names, priority >= 1);
 * - the Kubernetes types KServe embeds (containers, volumes, probes, security contexts...) with
 *   kubernetes-models' schemas, through the `k8s` keyword below;
 * - unknown field names are errors (`additionalProperties: false`), as `kubectl apply` reports them
 *   with its default strict field validation; fields the CRD has that we do not use are allowed
 *   unchecked (`{}`).
 * One rule is ours, not the CRD's: a predictor `model` must give `modelFormat` and `storageUri`
 * (KServe would start the runtime with an empty /mnt/models, and this server would refuse to start).
 */
import type { AnySchema, ErrorObject } from 'ajv';
import { Ajv } from 'ajv';
import {
  Affinity,
  Container,
  ContainerPort,
  EnvVar,
  LocalObjectReference,
  PodSecurityContext,
  Probe,
  ResourceRequirements,
  SecurityContext,
  Toleration,
  Volume,
  VolumeMount,
} from 'kubernetes-models/v1';

/** Kubernetes types KServe embeds, validated by kubernetes-models (the API's own OpenAPI schemas). */
const K8S_TYPES: Record<string, new (data: never) => { validate(): void }> = {
  Affinity: Affinity as never,
  Container: Container as never,
  ContainerPort: ContainerPort as never,
  EnvVar: EnvVar as never,
  LocalObjectReference: LocalObjectReference as never,
  PodSecurityContext: PodSecurityContext as never,
  Probe: Probe as never,
  ResourceRequirements: ResourceRequirements as never,
  SecurityContext: SecurityContext as never,
  Toleration: Toleration as never,
  Volume: Volume as never,
  VolumeMount: VolumeMount as never,
};

const k8s = (type: keyof typeof K8S_TYPES): { k8s: string } => ({ k8s: type });
const arrayOf = (items: object): object => ({ type: 'array', items });
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
/** A field the CRD has and we do not use: allowed, not checked. */
const unchecked = {} as const;

/** KServe's protocol names (pkg/constants: InferenceServiceProtocol). */
export const PROTOCOLS = ['v1', 'v2', 'grpc-v1', 'grpc-v2'] as const;

const objectMeta = (extra: object = {}): object => ({
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' },
    namespace: { type: 'string' },
    labels: stringMap,
    annotations: stringMap,
    ...extra,
  },
});

/** The container fields KServe merges into its container: Kubernetes' Container, all optional. */
const containerFields = {
  name: { type: 'string' },
  image: { type: 'string' },
  imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
  command: arrayOf({ type: 'string' }),
  args: arrayOf({ type: 'string' }),
  env: arrayOf(k8s('EnvVar')),
  ports: arrayOf(k8s('ContainerPort')),
  resources: k8s('ResourceRequirements'),
  livenessProbe: k8s('Probe'),
  readinessProbe: k8s('Probe'),
  startupProbe: k8s('Probe'),
  securityContext: k8s('SecurityContext'),
  volumeMounts: arrayOf(k8s('VolumeMount')),
  ...Object.fromEntries(
    ['envFrom', 'lifecycle', 'resizePolicy', 'restartPolicy', 'restartPolicyRules', 'stdin', 'stdinOnce', 'terminationMessagePath', 'terminationMessagePolicy', 'tty', 'volumeDevices', 'workingDir'].map(
      (k) => [k, unchecked],
    ),
  ),
};

export const clusterServingRuntime = {
  $id: 'kserve_cluster_serving_runtime',
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'serving.kserve.io/v1alpha1' },
    kind: { const: 'ClusterServingRuntime' },
    // Cluster-scoped: a namespace here is a mistake (kustomize adds one if told to).
    metadata: objectMeta({ namespace: false }),
    spec: {
      type: 'object',
      required: ['containers'],
      additionalProperties: false,
      properties: {
        supportedModelFormats: arrayOf({
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1 },
            version: { type: 'string', pattern: '^\\d+(\\.\\d+){0,2}$' }, // "major", "major.minor" or "major.minor.patch"
            autoSelect: { type: 'boolean' },
            priority: { type: 'integer', minimum: 1 },
          },
        }),
        protocolVersions: arrayOf({ enum: PROTOCOLS }),
        multiModel: { type: 'boolean' },
        disabled: { type: 'boolean' },
        containers: { type: 'array', minItems: 1, items: k8s('Container') },
        volumes: arrayOf(k8s('Volume')),
        nodeSelector: stringMap,
        affinity: k8s('Affinity'),
        tolerations: arrayOf(k8s('Toleration')),
        labels: stringMap,
        annotations: stringMap,
        imagePullSecrets: arrayOf(k8s('LocalObjectReference')),
        hostIPC: { type: 'boolean' },
        schedulerName: { type: 'string' },
        ...Object.fromEntries(
          ['builtInAdapter', 'grpcDataEndpoint', 'grpcEndpoint', 'httpDataEndpoint', 'replicas', 'resourceClaims', 'storageHelper', 'workerSpec'].map((k) => [k, unchecked]),
        ),
      },
    },
  },
} as const;

const modelSpec = {
  type: 'object',
  required: ['modelFormat', 'storageUri'],
  additionalProperties: false,
  properties: {
    ...containerFields,
    modelFormat: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: { type: 'string', minLength: 1 }, version: { type: 'string' } },
    },
    runtime: { type: 'string', minLength: 1 },
    runtimeVersion: { type: 'string' },
    protocolVersion: { enum: PROTOCOLS },
    // <scheme>://<rest>: gs, s3, pvc, http(s), hdfs, hf, oci... (KServe's storage initializer).
    storageUri: { type: 'string', pattern: '^[a-z][a-z0-9+.-]*://\\S+$' },
    storage: unchecked,
    confidential: unchecked,
  },
} as const;

/** The predictor fields in KServe's CRD (PodSpec, ComponentExtensionSpec and the framework specs). */
const PREDICTOR_UNCHECKED = [
  'activeDeadlineSeconds', 'annotations', 'autoScaling', 'batcher', 'canaryTrafficPercent', 'containerConcurrency', 'deploymentStrategy', 'dnsConfig',
  'dnsPolicy', 'enableServiceLinks', 'hostAliases', 'hostIPC', 'hostNetwork', 'hostPID', 'hostUsers', 'hostname', 'hostnameOverride', 'huggingface',
  'initContainers', 'labels', 'lightgbm', 'logger', 'name', 'nodeName', 'onnx', 'os', 'overhead', 'paddle', 'pmml', 'preemptionPolicy', 'priority',
  'priorityClassName', 'pytorch', 'readinessGates', 'resourceClaims', 'resources', 'restartPolicy', 'runtimeClassName', 'scaleMetricType', 'schedulerName',
  'schedulingGates', 'serviceAccount', 'setHostnameAsFQDN', 'shareProcessNamespace', 'sklearn', 'storageContainerName', 'storageUris', 'subdomain',
  'tensorflow', 'timeout', 'topologySpreadConstraints', 'triton', 'workerSpec', 'xgboost',
];

export const inferenceService = {
  $id: 'kserve_inference_service',
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'serving.kserve.io/v1beta1' },
    kind: { const: 'InferenceService' },
    // KServe's webhook: the name must be a DNS-1035 label (it becomes host names and Services).
    metadata: objectMeta({ name: { type: 'string', maxLength: 63, pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$' } }),
    spec: {
      type: 'object',
      required: ['predictor'],
      additionalProperties: false,
      properties: {
        predictor: {
          type: 'object',
          additionalProperties: false,
          properties: {
            model: modelSpec,
            minReplicas: { type: 'integer', minimum: 0 },
            maxReplicas: { type: 'integer', minimum: 0 },
            scaleMetric: { enum: ['cpu', 'memory', 'concurrency', 'rps'] },
            scaleTarget: { type: 'integer', minimum: 1 },
            securityContext: k8s('PodSecurityContext'),
            automountServiceAccountToken: { type: 'boolean' },
            serviceAccountName: { type: 'string' },
            terminationGracePeriodSeconds: { type: 'integer', minimum: 0 },
            containers: arrayOf(k8s('Container')),
            volumes: arrayOf(k8s('Volume')),
            imagePullSecrets: arrayOf(k8s('LocalObjectReference')),
            nodeSelector: stringMap,
            affinity: k8s('Affinity'),
            tolerations: arrayOf(k8s('Toleration')),
            ...Object.fromEntries(PREDICTOR_UNCHECKED.map((k) => [k, unchecked])),
          },
        },
        transformer: unchecked,
        explainer: unchecked,
        canary: unchecked,
      },
    },
    status: unchecked,
  },
} as const;

export const kserveSchemas: AnySchema[] = [clusterServingRuntime, inferenceService];

/** Ajv with the `k8s` keyword: the value must validate as that Kubernetes type. */
export function kserveAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addKeyword({
    keyword: 'k8s',
    schemaType: 'string',
    errors: true,
    validate: function k8sType(type: string, data: unknown): boolean {
      const Model = K8S_TYPES[type];
      if (!Model) throw new Error(`test/schemas/kserve.ts: no kubernetes-models type ${type}`);
      try {
        new Model(data as never).validate();
        return true;
      } catch (err) {
        const error: Partial<ErrorObject> = { keyword: 'k8s', params: { type }, message: `is not a valid ${type}: ${(err as Error).message}` };
        (k8sType as unknown as { errors: Partial<ErrorObject>[] }).errors = [error];
        return false;
      }
    },
  });
  for (const s of kserveSchemas) ajv.addSchema(s);
  return ajv;
}

const SCHEMA_FOR: Record<string, string> = {
  'serving.kserve.io/v1alpha1/ClusterServingRuntime': clusterServingRuntime.$id,
  'serving.kserve.io/v1beta1/InferenceService': inferenceService.$id,
};

let shared: Ajv | undefined;

/** The schema id for an object's apiVersion/kind, or undefined when it is not a KServe kind we check. */
export const kserveSchemaFor = (apiVersion: string, kind: string): string | undefined => SCHEMA_FOR[`${apiVersion}/${kind}`];

/** Validates a KServe object; throws listing every error with its path. */
export function validateKServe(obj: { apiVersion: string; kind: string }): void {
  const id = kserveSchemaFor(obj.apiVersion, obj.kind);
  if (!id) throw new Error(`${obj.apiVersion}/${obj.kind} has no schema in test/schemas/kserve.ts`);
  shared ??= kserveAjv();
  const validate = shared.getSchema(id);
  if (!validate) throw new Error(`schema ${id} not registered`);
  if (!validate(obj)) {
    throw new Error((validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : ''}`).join('; '));
  }
}
