/** Upload bytes -> model input row: sniff, decode, resize, normalise. Built from the model descriptor. */
import { invalidRequest, unsupportedMedia } from '../errors.js';
import type { ModelDescriptor } from '../model/descriptor.js';
import { decodeProbed, probeImage, type DecodeLimits, type DecodeOptions, type Geometry, type ImageProbe } from './decode.js';
import { normalize, type Normalization } from './normalize.js';
import { RASTER_FORMATS, sniffImageFormat, type RasterFormat } from './sniff.js';

export interface PreprocessedImage {
  /** One input row (`[H, W, C]`, or `[C, H, W]` for an NCHW model), ready for the engine. */
  tensor: Float32Array;
  source: { format: RasterFormat; width: number; height: number };
}

/**
 * A decoded image that normalises itself straight into its slot of a batch: no float copy of its
 * own (600 KB per image), which under load is what drives V8's full garbage collections.
 */
export interface PixelRow {
  readonly length: number;
  writeTo(target: Float32Array, offset: number): void;
}

/** A row's values as a standalone tensor. */
export function rowValues(row: PixelRow): Float32Array {
  const values = new Float32Array(row.length);
  row.writeTo(values, 0);
  return values;
}

export interface DecodedUpload {
  row: PixelRow;
  source: PreprocessedImage['source'];
}

export interface PreprocessorOptions {
  geometry: Geometry;
  normalization: Normalization;
  limits: DecodeLimits;
}

/** The serving settings that shape preprocessing (a subset of the app configuration). */
export interface PreprocessingSettings {
  maxPixels: number;
  minImageSide: number;
  /** Overrides the descriptor's resize policy when set. */
  resizeMode?: 'crop' | 'squash';
}

/** How uploads become model input: the descriptor's geometry and normalisation, the server's limits. */
export function preprocessorOptions(d: ModelDescriptor, s: PreprocessingSettings): PreprocessorOptions {
  const p = d.preprocessing;
  return {
    geometry: { width: d.input.width, height: d.input.height, mode: s.resizeMode ?? p.resize.mode, shorter: p.resize.shorter },
    // The layout only when not the default: an NHWC model's options (and int8 cache keys) stay as they were.
    normalization: { channelOrder: p.channelOrder, mean: p.mean, std: p.std, ...(d.input.layout === 'NCHW' ? { layout: 'NCHW' as const } : {}) },
    limits: { maxPixels: s.maxPixels, minSide: s.minImageSide },
  };
}

export class ImagePreprocessor {
  constructor(readonly options: PreprocessorOptions) {}

  get rowLength(): number {
    const g = this.options.geometry;
    return g.width * g.height * 3;
  }

  /** Sniffs the format and reads the header only: what admission prices before any decoding. */
  async probe(bytes: Buffer): Promise<ImageProbe> {
    if (bytes.length === 0) throw invalidRequest('empty_image', 'the image is empty (0 bytes)');
    const format = sniffImageFormat(bytes);
    if (format === undefined) {
      throw unsupportedMedia('unsupported_image', `not a supported image; send one of: ${RASTER_FORMATS.join(', ')}`);
    }
    return probeImage(bytes, format, this.options.limits);
  }

  /** Upload bytes -> a row that normalises itself into a batch; `probe` when already read. */
  async decode(bytes: Buffer, probe?: ImageProbe, opts: DecodeOptions = {}): Promise<DecodedUpload> {
    const p = probe ?? (await this.probe(bytes));
    const { rgb, source } = await decodeProbed(bytes, p, this.options.geometry, this.options.limits, opts);
    const n = this.options.normalization;
    return { row: { length: rgb.length, writeTo: (target, offset) => normalize(rgb, n, target, offset) }, source };
  }

  /** Upload bytes -> a standalone input row. */
  async preprocess(bytes: Buffer): Promise<PreprocessedImage> {
    const { row, source } = await this.decode(bytes);
    return { tensor: rowValues(row), source };
  }
}
