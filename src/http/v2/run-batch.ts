/**
 * Runs one v2 request's rows through the service: encoded images are preprocessed into rows (in
 * parallel; sharp works off the event loop), then every row goes through the shared dynamic batcher,
 * exactly as /predict's images do, so concurrency and queue limits are shared. If one row fails,
 * its siblings leave the queue at once instead of being computed for nothing.
 */
import { AppError } from '../../errors.js';
import type { PixelRow } from '../../preprocess/preprocessor.js';
import type { ModelVersion } from '../../service/inference-service.js';
import type { DecodedInput } from './codec.js';

/** The pinned model version the rows are for. */
type RowService = Pick<ModelVersion, 'preprocess' | 'infer'>;

/**
 * Probabilities, one vector per row of the decoded input. `deadline` aborts decoding and queueing
 * alike; `deadlineAt` (performance.now() ms) lets admission skip a decode that cannot finish in time.
 */
export async function runBatch(service: RowService, input: DecodedInput, deadline: AbortSignal, deadlineAt?: number): Promise<Float32Array[]> {
  const rows = input.kind === 'rows' ? input.rows : await preprocessAll(service, input.images, input.name, deadline, deadlineAt);
  const failFast = new AbortController();
  try {
    return await service.infer(rows, AbortSignal.any([deadline, failFast.signal]));
  } catch (err) {
    failFast.abort(err);
    throw err;
  }
}

async function preprocessAll(service: RowService, images: readonly Buffer[], input: string, signal: AbortSignal, deadlineAt?: number): Promise<PixelRow[]> {
  const settled = await Promise.allSettled(images.map((image) => service.preprocess(image, signal, deadlineAt)));
  // The first failing row is reported, whichever finished first: the same request, the same error.
  const failed = settled.findIndex((s) => s.status === 'rejected');
  if (failed >= 0) throw rowError((settled[failed] as PromiseRejectedResult).reason, input, failed);
  return settled.map((s) => (s as PromiseFulfilledResult<PixelRow>).value);
}

/**
 * A row's image problem, named by row. The v2 protocol answers bad request content with 400 (the
 * body is valid JSON; its tensor is not): undecodable (415) and unusable (422) images become 400,
 * oversized ones keep 413. Server-side conditions (not ready, overload, deadline) pass unchanged.
 */
export function rowError(err: unknown, input: string, row: number): unknown {
  if (!(err instanceof AppError)) return err;
  const message = `input '${input}' row ${row}: ${err.message}`;
  switch (err.kind) {
    case 'too_large':
      return new AppError('too_large', err.code, message, { cause: err });
    case 'invalid_request':
    case 'unsupported_media':
    case 'unprocessable':
      return new AppError('invalid_request', err.code, message, { cause: err });
    default:
      return err;
  }
}
