/**
 * Which served model a request names, for every transport: 404 (NOT_FOUND) for unknown names and
 * versions, 503 (UNAVAILABLE) while the model is not loaded.
 */
import type { EngineName } from '../../config/config.js';
import { AppError, notReady } from '../../errors.js';
import type { InferenceService } from '../../service/inference-service.js';
import { formOf, modelSignature, servedNames, type InputForm, type ModelSignature } from './signature.js';

export interface ModelRef {
  name: string;
  /** Absent (or empty, as gRPC sends it) for "the served version". */
  version?: string;
}

export interface ResolvedModel {
  signature: ModelSignature;
  engine: EngineName;
}

type ModelSource = Pick<InferenceService, 'model' | 'state'>;

/** The input form an existing model name stands for; 404 for any other name. */
export function knownModel(name: string, model: string): InputForm {
  const form = formOf(name, model);
  if (form === undefined) {
    const names = servedNames(model);
    throw new AppError('not_found', 'unknown_model', `unknown model '${name}'; this server serves '${names.image}' (encoded images) and '${names.tensor}' (preprocessed tensors)`);
  }
  return form;
}

/** The served model `ref` names (404 otherwise), once it is loaded (503 before). */
export function resolveModel(service: ModelSource, model: string, ref: ModelRef): ResolvedModel {
  const form = knownModel(ref.name, model);
  const loaded = service.model;
  if (loaded === undefined) throw notLoaded(service, ref.name);
  const signature = modelSignature(loaded.descriptor, form);
  if (ref.version !== undefined && ref.version !== '' && ref.version !== signature.version) {
    throw new AppError('not_found', 'unknown_version', `model '${signature.name}' has no version '${ref.version}'; available: ${signature.version}`);
  }
  return { signature, engine: loaded.engine.engine };
}

function notLoaded(service: ModelSource, name: string): AppError {
  if (service.state === 'failed') return new AppError('not_ready', 'model_failed', `model '${name}' failed to load`);
  if (service.state === 'draining' || service.state === 'stopped') return notReady('shutting_down', 'the server is shutting down', 1);
  return notReady('model_not_ready', `model '${name}' is still loading; retry shortly`);
}
