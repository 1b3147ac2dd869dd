/**
 * Which served model and version a v2 request names, for every transport (HTTP and gRPC): each
 * model is published under two names, `<model>` (encoded images) and `<model>_tensor`
 * (preprocessed rows). 404 (NOT_FOUND) for unknown names and versions, 503 (UNAVAILABLE) while the
 * model is not loaded.
 */
import type { EngineName } from '../../config/config.js';
import { AppError } from '../../errors.js';
import type { InferenceService, ModelRef as ServiceModelRef, ModelVersion } from '../../service/inference-service.js';
import { modelSignature, TENSOR_MODEL_SUFFIX, type InputForm, type ModelSignature } from './signature.js';

/** The service's model reference, with the name a v2 request always carries. */
export type ModelRef = ServiceModelRef & { name: string };

export interface ResolvedModel {
  signature: ModelSignature;
  engine: EngineName;
  /** The loaded version (not pinned: admission pins it). */
  model: ModelVersion;
  /** The model's own name and the version asked for, as admission takes them. */
  ref: ModelRef;
}

type ModelSource = Pick<InferenceService, 'resolve' | 'registry'>;

/** The model and input form a v2 name stands for; 404 for a name no served model has. */
export function knownModel(service: ModelSource, name: string): { model: string; form: InputForm } {
  if (service.registry.has(name)) return { model: name, form: 'image' };
  const base = name.endsWith(TENSOR_MODEL_SUFFIX) ? name.slice(0, -TENSOR_MODEL_SUFFIX.length) : undefined;
  if (base !== undefined && service.registry.has(base)) return { model: base, form: 'tensor' };
  // Before the first scan no name is known yet: 503 (still loading), not 404.
  if (service.registry.names.length === 0) service.resolve({ name });
  const names = service.registry.names.flatMap((n) => [n, `${n}${TENSOR_MODEL_SUFFIX}`]);
  throw new AppError('not_found', 'unknown_model', `unknown model '${name}'; this server serves ${names.map((n) => `'${n}'`).join(', ')} (each model as '<name>' for encoded images and '<name>${TENSOR_MODEL_SUFFIX}' for preprocessed tensors)`);
}

/** The served model `ref` names (404 otherwise), once it is loaded (503 before). */
export function resolveModel(service: ModelSource, ref: ModelRef): ResolvedModel {
  const { model, form } = knownModel(service, ref.name);
  const version = ref.version === '' ? undefined : ref.version;
  const loaded = service.resolve({ name: model, version });
  return { signature: modelSignature(loaded.descriptor, form), engine: loaded.engine.engine, model: loaded, ref: { name: model, version } };
}

/**
 * Model readiness (`/v2/models/{name}[/versions/{v}]/ready`, gRPC ModelReady): false while the
 * server or this model loads, or once it drains; 404 for a name no served model has, once the
 * repository has been read.
 */
export function modelReady(service: ModelSource & Pick<InferenceService, 'ready'>, ref: ModelRef): boolean {
  if (service.registry.names.length > 0) knownModel(service, ref.name);
  if (!service.ready) return false;
  try {
    resolveModel(service, ref);
    return true;
  } catch (err) {
    if (err instanceof AppError && err.kind === 'not_ready') return false;
    throw err;
  }
}
