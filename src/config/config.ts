/**
 * The one typed configuration module. Every setting is read from an environment variable (the CLI
 * maps its flags onto the same names), parsed, and validated at start; a bad value stops the start
 * with a message naming the variable.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { availableCpus } from './cpus.js';
import { optionalEnum, optionalInteger, optionalPath, parseBytes, parseEnum, parseInteger, parseKeyList, parseModelName, parseString } from './parse.js';

/** Project root: two levels above this file in both src/config and dist/config. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** This server's version (package.json), reported by /v2 and the OpenAPI document. */
export const VERSION: string = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export const ENGINES = ['onnx', 'tfjs'] as const;
export const PRECISIONS = ['fp32', 'int8'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const RESIZE_MODES = ['crop', 'squash'] as const;
export const FETCH_POLICIES = ['auto', 'never'] as const;
/** Triton's model control modes we implement: `none` (load at start; SIGHUP rescans) and `poll`. */
export const MODEL_CONTROL_MODES = ['none', 'poll'] as const;
/** Preprocessing presets (PREPROCESS, model.yaml `preprocess`): Keras' preprocess_input modes. */
export const PREPROCESS_PRESETS = ['caffe', 'tf', 'torch'] as const;
/** What a model outputs (OUTPUT, model.yaml `output`): `logits` get a softmax. */
export const OUTPUT_KINDS = ['logits', 'probabilities'] as const;
/** Bounds of the batching limits, in the model descriptor (`batching`) and their env overrides alike. */
export const BATCHING_LIMITS = { maxBatchSize: { min: 1, max: 256 }, maxQueueDelayMs: { min: 0, max: 10_000 } } as const;

export type EngineName = (typeof ENGINES)[number];
export type Precision = (typeof PRECISIONS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type ResizeMode = (typeof RESIZE_MODES)[number];
export type FetchPolicy = (typeof FETCH_POLICIES)[number];
export type ModelControl = (typeof MODEL_CONTROL_MODES)[number];
export type PreprocessPreset = (typeof PREPROCESS_PRESETS)[number];
export type OutputKind = (typeof OUTPUT_KINDS)[number];

export interface Config {
  port: number;
  /** gRPC (Open Inference Protocol) port; null: no gRPC endpoint. */
  grpcPort: number | null;
  host: string;
  logLevel: LogLevel;
  /** Folder of models (Triton-style repository): `<model>/model.yaml` and/or `<model>/<version>/<model file>`. */
  modelRepository: string;
  /** One model file or folder to serve instead of the repository (version "1"); undefined: the repository. */
  modelPath: string | undefined;
  /**
   * MODEL_NAME; when unset, MODEL_PATH's file (or folder) name, else `resnet50`. The MODEL_PATH
   * model's name, and the model `/predict` serves when the request names none.
   */
  modelName: string;
  /** Preprocessing preset of the MODEL_PATH model (overrides model.yaml); undefined: from model.yaml or the format's default. */
  preprocess: PreprocessPreset | undefined;
  /** Labels file of the MODEL_PATH model (JSON array, JSON object index -> label, or one label a line). */
  labels: string | undefined;
  /** Whether the MODEL_PATH model outputs logits or probabilities; undefined: detected from its last layer. */
  output: OutputKind | undefined;
  /** Where fetched and converted model artifacts live. */
  modelCacheDir: string;
  /** `auto`: fetch the model when the cache lacks it; `never`: a missing model is a start-up error. */
  modelFetch: FetchPolicy;
  modelControl: ModelControl;
  modelPollSeconds: number;
  engine: EngineName;
  precision: Precision;
  /** int8 calibration: `data-free` (BatchNorm statistics) or a folder of images. */
  quantCalibration: string;
  /** Threads for one inference (ONNX Runtime intra-op threads). */
  threads: number;
  /** Nice value for the event-loop (HTTP) thread once the model is ready; 0 leaves it alone. */
  eventLoopNice: number;
  /** Overrides the descriptor's resize policy when set. */
  resizeMode: ResizeMode | undefined;
  maxUploadBytes: number;
  maxPixels: number;
  /** Smaller images are refused (422): a few pixels upscaled to the model's input size carry no content. */
  minImageSide: number;
  /** Overrides of the model descriptor's `batching`; undefined when unset. */
  maxBatchSize: number | undefined;
  maxQueueDelayMs: number | undefined;
  maxQueue: number;
  /** Bytes admission may charge (uploads + estimated decode peaks); undefined: from the memory limit. */
  memoryBudget: number | undefined;
  /** Decodes at once (both lanes; expensive ones take at most one); undefined: `defaultDecodeConcurrency()`. */
  decodeConcurrency: number | undefined;
  /** Longest wait for memory or a decode slot before 503 + Retry-After (ms). */
  admissionWaitMs: number;
  requestTimeoutMs: number;
  shutdownGraceMs: number;
  apiKeys: string[];
}

type Env = Record<string, string | undefined>;

interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  describe: string;
  /** Default shown in docs; `parse(undefined)` must return the real default. */
  shownDefault: string;
  parse: (raw: string | undefined, name: string) => Config[K];
}

type AnySetting = { [K in keyof Config]: Setting<K> }[keyof Config];

const def = <K extends keyof Config>(s: Setting<K>): AnySetting => s as unknown as AnySetting;

/** All settings: the README's configuration table is this list. */
export const SETTINGS: readonly AnySetting[] = [
  def({ key: 'port', env: 'PORT', describe: 'TCP port to listen on', shownDefault: '5000', parse: (r, n) => parseInteger(r, n, 5000, 0, 65535) }),
  def({
    key: 'grpcPort', env: 'GRPC_PORT', shownDefault: '8001',
    describe: 'TCP port of the gRPC endpoint (Open Inference Protocol, as Triton); `off` disables it',
    parse: (r, n) => (r?.trim().toLowerCase() === 'off' ? null : parseInteger(r, n, 8001, 0, 65535)),
  }),
  def({ key: 'host', env: 'HOST', describe: 'Address to bind', shownDefault: '0.0.0.0', parse: (r, n) => parseString(r, n, '0.0.0.0') }),
  def({ key: 'logLevel', env: 'LOG_LEVEL', describe: 'pino log level', shownDefault: 'info', parse: (r, n) => parseEnum(r, n, LOG_LEVELS, 'info') }),
  def({
    key: 'modelRepository', env: 'MODEL_REPOSITORY', shownDefault: './models',
    describe: 'Folder of models, as Triton\'s: `<model>/<version>/<model file>` and/or `<model>/model.yaml`; every model in it is served (ignored with MODEL_PATH)',
    parse: (r, n) => path.resolve(parseString(r, n, path.join(PROJECT_ROOT, 'models'))),
  }),
  def({
    key: 'modelPath', env: 'MODEL_PATH', shownDefault: '(none)', parse: (r, n) => optionalPath(r, n),
    describe: 'One model to serve instead of the repository: a Keras `.h5`/`.keras`, a TF.js `model.json` (or its folder), an `.onnx` file, or a folder holding one (or version folders)',
  }),
  def({
    key: 'modelName', env: 'MODEL_NAME', shownDefault: 'resnet50', parse: (r, n) => parseModelName(r, n, 'resnet50'),
    describe: 'Name of the MODEL_PATH model (default: its file or folder name) and the model `/predict` serves when the request names none',
  }),
  def({
    key: 'preprocess', env: 'PREPROCESS', shownDefault: '(model.yaml; Keras/TF.js: caffe)', parse: (r, n) => optionalEnum(r, n, PREPROCESS_PRESETS),
    describe: 'Preprocessing of the MODEL_PATH model: `caffe` (BGR, ImageNet mean subtracted: Keras ResNet/VGG), `tf` (scaled to [-1, 1]: MobileNet, Inception) or `torch` (RGB / 255, ImageNet mean/std: torchvision). Required for ONNX models unless model.yaml says it',
  }),
  def({
    key: 'labels', env: 'LABELS', shownDefault: '(labels.json/.txt beside the model; 1000 classes: ImageNet)', parse: (r, n) => optionalPath(r, n),
    describe: 'Labels of the MODEL_PATH model: a JSON array, a JSON object index -> label, or a text file with one label a line',
  }),
  def({
    key: 'output', env: 'OUTPUT', shownDefault: '(detected)', parse: (r, n) => optionalEnum(r, n, OUTPUT_KINDS),
    describe: 'What the MODEL_PATH model outputs: `probabilities` or `logits` (a softmax is applied); default: detected from its last layer (softmax or not)',
  }),
  def({
    key: 'modelCacheDir', env: 'MODEL_CACHE_DIR', describe: 'Where fetched and converted model files are kept', shownDefault: './models/cache',
    parse: (r, n) => path.resolve(parseString(r, n, path.join(PROJECT_ROOT, 'models', 'cache'))),
  }),
  def({ key: 'modelFetch', env: 'MODEL_FETCH', describe: '`auto`: download the model if the cache lacks it; `never`: fail instead (containers)', shownDefault: 'auto', parse: (r, n) => parseEnum(r, n, FETCH_POLICIES, 'auto') }),
  def({
    key: 'modelControl', env: 'MODEL_CONTROL', shownDefault: 'none',
    describe: '`poll`: rescan the repository every MODEL_POLL_SECONDS and serve new versions once warm (Triton\'s poll mode); `none`: only at start and on SIGHUP',
    parse: (r, n) => parseEnum(r, n, MODEL_CONTROL_MODES, 'none'),
  }),
  def({ key: 'modelPollSeconds', env: 'MODEL_POLL_SECONDS', describe: 'Rescan interval with MODEL_CONTROL=poll', shownDefault: '15', parse: (r, n) => parseInteger(r, n, 15, 1, 86400) }),
  def({ key: 'engine', env: 'ENGINE', describe: 'Inference engine: `onnx` (ONNX Runtime) or `tfjs` (TF.js)', shownDefault: 'onnx', parse: (r, n) => parseEnum(r, n, ENGINES, 'onnx') }),
  def({ key: 'precision', env: 'MODEL_PRECISION', describe: 'Numeric precision of the ONNX model: `int8` (about 3x faster, same accuracy on the samples) or `fp32` (bit-close to the Keras model)', shownDefault: 'int8', parse: (r, n) => parseEnum(r, n, PRECISIONS, 'int8') }),
  def({ key: 'quantCalibration', env: 'QUANT_CALIBRATION', describe: 'int8 activation ranges: `data-free` (from BatchNorm statistics) or a folder of calibration images', shownDefault: 'data-free', parse: (r, n) => parseString(r, n, 'data-free') }),
  def({ key: 'threads', env: 'THREADS', describe: 'Threads per inference; default: CPUs this container may use (cgroup quota aware)', shownDefault: 'CPUs', parse: (r, n) => parseInteger(r, n, availableCpus(), 1, 256) }),
  def({
    key: 'eventLoopNice', env: 'EVENT_LOOP_NICE', shownDefault: '0', parse: (r, n) => parseInteger(r, n, 0, 0, 19),
    describe: 'Linux nice value for the HTTP thread once ready (0: unchanged). Raising it favours inference over answering when clients flood the server ignoring Retry-After, at the cost of slow refusals: see Operating it',
  }),
  def({ key: 'resizeMode', env: 'RESIZE_MODE', describe: '`crop` (shorter side to `resize.shorter`, centre crop to the input size) or `squash` (stretch to the input size); default from model.yaml', shownDefault: 'crop', parse: (r, n) => (r === undefined || r === '' ? undefined : parseEnum(r, n, RESIZE_MODES, 'crop')) }),
  def({ key: 'maxUploadBytes', env: 'MAX_UPLOAD_BYTES', describe: 'Largest accepted upload (bytes, or with kb/mb suffix)', shownDefault: '10mb', parse: (r, n) => parseBytes(r, n, 10 * 1024 * 1024) }),
  def({ key: 'maxPixels', env: 'MAX_PIXELS', describe: 'Largest accepted image, in decoded pixels (width x height)', shownDefault: '40000000', parse: (r, n) => parseInteger(r, n, 40_000_000, 1, 1_000_000_000) }),
  def({ key: 'minImageSide', env: 'MIN_IMAGE_SIDE', describe: 'Smallest accepted width or height, in pixels', shownDefault: '8', parse: (r, n) => parseInteger(r, n, 8, 1, 10_000) }),
  def({
    key: 'maxBatchSize', env: 'MAX_BATCH_SIZE', describe: 'Largest batch the dynamic batcher forms; default from model.yaml (`batching.maxBatchSize`)', shownDefault: '8',
    parse: (r, n) => optionalInteger(r, n, BATCHING_LIMITS.maxBatchSize),
  }),
  def({
    key: 'maxQueueDelayMs', env: 'MAX_QUEUE_DELAY_MS', shownDefault: '0', parse: (r, n) => optionalInteger(r, n, BATCHING_LIMITS.maxQueueDelayMs),
    describe: 'How long a lone image may wait for batch partners when the engine is idle (ms); while it is busy, batches form anyway. Default from model.yaml (`batching.maxQueueDelayMs`)',
  }),
  def({ key: 'maxQueue', env: 'MAX_QUEUE', describe: 'Images held at once (decoding, queued or running); more are refused at once with 503 and Retry-After', shownDefault: '64', parse: (r, n) => parseInteger(r, n, 64, 1, 100_000) }),
  def({
    key: 'memoryBudget', env: 'MEMORY_BUDGET', shownDefault: 'auto', parse: (r, n) => (r === undefined || /^\s*(auto)?\s*$/i.test(r) ? undefined : parseBytes(r, n, 0)),
    describe: 'Memory admission may hand out to uploads and decodes (bytes, or kb/mb/gb). `auto`: the container limit (cgroup; the machine\'s memory outside one) half of what is left above the resident size once the model is loaded (less 128 MB); a quarter of it is kept for small requests',
  }),
  def({ key: 'decodeConcurrency', env: 'DECODE_CONCURRENCY', describe: 'Images decoded at once; at most one of them an expensive one (progressive JPEG, interlaced PNG, AVIF... at many megapixels). `auto`: libuv\'s pool size - 1 (one libuv thread stays free for file reads), at least 2', shownDefault: 'auto', parse: (r, n) => (r === undefined || /^\s*(auto)?\s*$/i.test(r) ? undefined : parseInteger(r, n, 2, 2, 64)) }),
  // 5 s, not 2: a waiting upload is paused (its connection not read) and costs nothing, while
  // clients that resend the moment they are refused cost the server every body they resend:
  // under the hostile flood ordinary clients kept 58-60 % of their solo throughput at 2 s, 74-75 %
  // at 5 s (docs/hostile.md). A request still has two thirds of REQUEST_TIMEOUT_MS left to be served.
  def({ key: 'admissionWaitMs', env: 'ADMISSION_WAIT_MS', describe: 'Longest wait for memory or a decode slot before 503 + Retry-After (ms); a waiting upload is not read meanwhile', shownDefault: '5000', parse: (r, n) => parseInteger(r, n, 5000, 0, 600_000) }),
  def({ key: 'requestTimeoutMs', env: 'REQUEST_TIMEOUT_MS', describe: 'Deadline for one request, upload included (ms): a request not received in full by then gets 408, one not answered 504', shownDefault: '15000', parse: (r, n) => parseInteger(r, n, 15_000, 100, 600_000) }),
  def({ key: 'shutdownGraceMs', env: 'SHUTDOWN_GRACE_MS', describe: 'On SIGTERM, time allowed to finish accepted requests (ms)', shownDefault: '20000', parse: (r, n) => parseInteger(r, n, 20_000, 0, 600_000) }),
  def({ key: 'apiKeys', env: 'API_KEYS', describe: 'Comma-separated bearer keys; when set, inference routes need `Authorization: Bearer <key>`', shownDefault: '(none)', parse: (r, n) => parseKeyList(r, n) }),
];

/**
 * Decodes occupy libuv's threads (sharp runs there): one thread is always left for file reads and
 * image headers. Not capped at the cores: a slot is freed only once the event loop has collected
 * the finished decode, and under a flood the loop is busy, so one slot more than 2 cores keeps a
 * decode running meanwhile. Capped at 2 on 2 cores, clients resending at once ("hammer") left
 * the server 0.15 cores idle and 33-41 % of its reference throughput; with 3, 48-59 %
 * (docs/performance.md).
 */
export function defaultDecodeConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE ?? 4) || 4;
  return Math.max(2, pool - 1);
}

/** Reads and validates the whole configuration; throws a StartupError naming the bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const out: Partial<Record<keyof Config, unknown>> = {};
  for (const s of SETTINGS) out[s.key] = s.parse(env[s.env], s.env);
  const modelPath = out.modelPath as string | undefined;
  if (modelPath !== undefined && (env.MODEL_NAME === undefined || env.MODEL_NAME.trim() === '')) out.modelName = modelNameOf(modelPath);
  return out as Config;
}

/**
 * The name a model file or folder serves under: `x.h5` -> `x`, `.../mobilenet/model.json` ->
 * `mobilenet`, a folder -> its name. Characters a URL path segment would need escaped become `_`.
 */
export function modelNameOf(modelPath: string): string {
  const base = path.basename(modelPath);
  const name = base.toLowerCase() === 'model.json' ? path.basename(path.dirname(modelPath)) : base.replace(/\.(h5|hdf5|keras|onnx|json)$/i, '');
  return name.replace(/[^A-Za-z0-9_.-]/g, '_') || 'model';
}

/** The configuration with overrides, for tests and the CLI. */
export function configWith(overrides: Partial<Config>, env: Env = process.env): Config {
  return { ...loadConfig(env), ...overrides };
}

export function describeConfig(c: Config): Record<string, unknown> {
  // What start-up logs: everything but secrets.
  return { ...c, apiKeys: c.apiKeys.length > 0 ? `${c.apiKeys.length} key(s)` : 'none', hostname: os.hostname() };
}
