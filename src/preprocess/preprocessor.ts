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
    normalization: { channelOrder: p.channelOrder, mean: p.mean, std: p.std },
    limits: { maxPixels: s.maxPixels, minSide: s.minImageSide },
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
