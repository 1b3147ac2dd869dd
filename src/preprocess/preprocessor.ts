/** Upload bytes -> model input row: sniff, decode, resize, normalise. Built from the model descriptor. */
import { invalidRequest, unsupportedMedia } from '../errors.js';
import type { ModelDescriptor } from '../model/descriptor.js';
import { decodeImage, type DecodeLimits, type Geometry } from './decode.js';
import { normalize, type Normalization } from './normalize.js';
import { RASTER_FORMATS, sniffImageFormat, type RasterFormat } from './sniff.js';

export interface PreprocessedImage {
  /** One `[H, W, C]` input row, ready for the engine. */
  tensor: Float32Array;
  source: { format: RasterFormat; width: number; height: number };
}

export interface PreprocessorOptions {
  geometry: Geometry;
  normalization: Normalization;
  limits: DecodeLimits;
}

export function preprocessorOptions(d: ModelDescriptor, limits: DecodeLimits, resizeMode?: 'crop' | 'squash'): PreprocessorOptions {
  const p = d.preprocessing;
  return {
    geometry: { width: d.input.width, height: d.input.height, mode: resizeMode ?? p.resize.mode, shorter: p.resize.shorter },
    normalization: { channelOrder: p.channelOrder, mean: p.mean, std: p.std },
    limits,
  };
}

export class ImagePreprocessor {
  constructor(readonly options: PreprocessorOptions) {}

  get rowLength(): number {
    const g = this.options.geometry;
    return g.width * g.height * 3;
  }

  async preprocess(bytes: Buffer): Promise<PreprocessedImage> {
    if (bytes.length === 0) throw invalidRequest('empty_image', 'the image is empty (0 bytes)');
    const format = sniffImageFormat(bytes);
    if (format === undefined) {
      throw unsupportedMedia('unsupported_image', `not a supported image; send one of: ${RASTER_FORMATS.join(', ')}`);
    }
    const decoded = await decodeImage(bytes, format, this.options.geometry, this.options.limits);
    return { tensor: normalize(decoded.rgb, this.options.normalization), source: decoded.source };
  }
}
