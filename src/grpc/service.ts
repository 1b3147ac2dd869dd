/**
 * GRPCInferenceService over the inference service: the same models (both input forms), limits,
 * admission, batcher, API keys and deadlines as the v2 REST routes, sharing their protocol code
 * (src/http/v2: model resolution, tensor decoding, outputs). Inputs come in `contents` or
 * `raw_input_contents`; outputs always go out in `raw_output_contents`, as Triton does.
 */
import type { ServerUnaryCall, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import type { Config } from '../config/config.js';
import { AppError, invalidRequest, notReady } from '../errors.js';
import { deadlineExceeded, untilAborted } from '../http/plugins/deadline.js';
import { decodeInput, decodeLimits, type InputTensor } from '../http/v2/codec.js';
import { computeOutputs, planOutputs, rawBytes } from '../http/v2/outputs.js';
import { modelReady, resolveModel } from '../http/v2/resolve.js';
import { runBatch } from '../http/v2/run-batch.js';
import { modelMetadata } from '../http/v2/signature.js';
import type { InferenceService } from '../service/inference-service.js';
import { withRequestSpan } from '../telemetry/grpc.js';
import { traceIds } from '../telemetry/spans.js';
import { apiKeyCheck } from './auth.js';
import {
  plainParameters,
  type ModelInferRequest,
  type ModelInferResponse,
  type ModelMetadataResponse,
  type ModelRefRequest,
  type RepositoryIndexRequest,
  type RepositoryIndexResponse,
  type ServerMetadataResponse,
} from './proto.js';
import { asAppError, toStatus } from './status.js';

/** What the calls log: pino's (and Fastify's) logger fits. */
export interface CallLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface InferenceHandlersOptions {
  config: Config;
  service: InferenceService;
  log: CallLog;
  server: { name: string; version: string; extensions: readonly string[] };
}

type Handler<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>;

/** Health calls make no spans, as HTTP's probes make none (src/telemetry/fastify.ts). */
const UNTRACED = new Set(['ServerLive', 'ServerReady']);

export function inferenceHandlers(opts: InferenceHandlersOptions): UntypedServiceImplementation {
  const { config, service, log } = opts;
  const limits = decodeLimits(config);
  const checkKey = apiKeyCheck(config.apiKeys);

  /** One access-log line per call, like HTTP's: method, status, time; client errors with their code. */
  const unary =
    <Req, Res>(method: string, handler: Handler<Req, Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const started = performance.now();
      log.debug({ grpc: method }, 'incoming grpc call');
      const ms = (): number => Math.round((performance.now() - started) * 10) / 10;
      // Tracing (no-op when off): a SERVER span continuing the metadata's traceparent; its ids go in the log line.
      let ids: ReturnType<typeof traceIds>;
      const run = (): Promise<Res> =>
        withRequestSpan({ service: 'inference.GRPCInferenceService', method }, call.metadata, async (span) => {
          ids = traceIds();
          return handler(call.request, call).catch((err: unknown) => {
            span.setAttribute('rpc.grpc.status_code', toStatus(asAppError(err)).code);
            throw err;
          });
        });
      (UNTRACED.has(method) ? handler(call.request, call) : run()).then(
        (response) => {
          callback(null, response);
          log.info({ grpc: method, code: 'OK', ms: ms(), ...ids }, 'grpc call');
        },
        (err: unknown) => {
          const appErr = asAppError(err);
          const s = toStatus(appErr);
          callback(s);
          if (appErr.kind === 'internal') log.error({ grpc: method, err, ...ids }, 'grpc call failed');
          else log.info({ grpc: method, code: s.code, error: appErr.code, ms: ms(), ...ids }, 'grpc call');
        },
      );
    };

  const serverMetadata: ServerMetadataResponse = { name: opts.server.name, version: opts.server.version, extensions: [...opts.server.extensions] };

  return {
    ServerLive: unary('ServerLive', async () => ({ live: true })),
    ServerReady: unary('ServerReady', async () => ({ ready: service.ready })),
    ServerMetadata: unary('ServerMetadata', async () => serverMetadata),
    ModelReady: unary<ModelRefRequest, { ready: boolean }>('ModelReady', async (req) => {
      return { ready: modelReady(service, req) };
    }),
    ModelMetadata: unary<ModelRefRequest, ModelMetadataResponse>('ModelMetadata', async (req) => {
      const { signature, engine } = resolveModel(service, req);
      return modelMetadata(signature, engine);
    }),
    RepositoryIndex: unary<RepositoryIndexRequest, RepositoryIndexResponse>('RepositoryIndex', async (req) => ({
      models: service.index().filter((e) => !req.ready || e.state === 'READY'),
    })),
    ModelInfer: unary<ModelInferRequest, ModelInferResponse>('ModelInfer', async (req, call) => {
      checkKey(call.metadata);
      // Draining: calls already running complete; new ones go elsewhere.
      if (service.state === 'draining' || service.state === 'stopped') throw notReady('shutting_down', 'the server is shutting down', 1);
      const { signature, ref } = resolveModel(service, { name: req.model_name, version: req.model_version });
      // Pins the model version for the whole call (a swap lets it finish on this version).
      const first = service.admit(1, ref);
      const model = first.model;
      const releases = [first.release];
      const deadline = callDeadline(call, config.requestTimeoutMs);
      try {
        const input = decodeInput(inputTensors(req), signature, limits);
        const plans = planOutputs(
          req.outputs.map((o) => ({ name: o.name, parameters: plainParameters(o.parameters) })),
          signature,
          true,
        );
        const rows = input.kind === 'images' ? input.images.length : input.rows.length;
        if (rows > 1) releases.push(service.admit(rows - 1, { name: ref.name, version: model.descriptor.version }).release);
        const probabilities = await untilAborted(runBatch(model, input, deadline.signal, deadline.at), deadline.signal);
        const tensors = computeOutputs(probabilities, plans, signature, (p, k) => model.topK(p, k));
        return {
          model_name: signature.name,
          model_version: model.descriptor.version,
          id: req.id,
          outputs: tensors.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
          raw_output_contents: tensors.map(rawBytes),
        };
      } finally {
        deadline.dispose();
        for (const release of releases) release();
      }
    }),
  };
}

/** The request's inputs with their contents: typed `contents`, or their entry of `raw_input_contents`. */
function inputTensors(req: ModelInferRequest): InputTensor[] {
  const raw = req.raw_input_contents;
  if (raw.length > 0 && raw.length !== req.inputs.length) {
    throw invalidRequest('invalid_raw_contents', `raw_input_contents has ${raw.length} entries for ${req.inputs.length} inputs; send one per input, or none`);
  }
  return req.inputs.map((input, i): InputTensor => {
    const { name, datatype, shape } = input;
    const c = input.contents;
    const typed = c !== null && c !== undefined && Object.values(c).some((v) => Array.isArray(v) && v.length > 0);
    if (raw.length > 0) {
      if (typed) throw invalidRequest('invalid_raw_contents', `input '${name}' has both contents and raw_input_contents; send one`);
      return { name, datatype, shape, contents: { kind: 'raw', bytes: raw[i] } };
    }
    if (datatype === 'BYTES') return { name, datatype, shape, contents: { kind: 'bytes', elements: c?.bytes_contents ?? [] } };
    if (datatype === 'FP32') return { name, datatype, shape, contents: { kind: 'fp32', values: c?.fp32_contents ?? [] } };
    // Any other datatype is refused by the decoder, naming the one expected.
    return { name, datatype, shape, contents: { kind: 'fp32', values: [] } };
  });
}

/**
 * An AbortSignal for the call: it fires at the sooner of the client's deadline and
 * REQUEST_TIMEOUT_MS (DEADLINE_EXCEEDED), or when the client cancels.
 */
function callDeadline(call: ServerUnaryCall<unknown, unknown>, timeoutMs: number): { signal: AbortSignal; at: number; dispose(): void } {
  const controller = new AbortController();
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  const clientMs = Number.isFinite(at) ? at - Date.now() : Infinity;
  const reason =
    clientMs < timeoutMs ? new AppError('timeout', 'deadline_exceeded', 'the call was not served within its deadline') : deadlineExceeded(timeoutMs);
  const ms = Math.max(0, Math.min(timeoutMs, clientMs));
  const timer = setTimeout(() => controller.abort(reason), ms);
  const onCancel = (): void => controller.abort(new AppError('invalid_request', 'client_closed', 'the client cancelled the call'));
  call.once('cancelled', onCancel);
  return {
    signal: controller.signal,
    at: performance.now() + ms,
    dispose: () => {
      clearTimeout(timer);
      call.removeListener('cancelled', onCancel);
    },
  };
}
