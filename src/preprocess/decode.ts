/**
 * Decode + geometry with sharp (libvips): any supported raster -> 8-bit sRGB RGB pixels at the
 * model's input size. In two steps, so that admission can price a decode before paying for it:
 * `probeImage` reads the header only; `decodeProbed` decodes.
 *
 * - EXIF orientation is applied first, so a rotated phone photo is classified upright.
 * - Colour: grayscale, CMYK (through its ICC profile, or libvips' default CMYK profile), 16-bit and
 *   palette images all become 8-bit sRGB. An RGB image's embedded ICC profile is ignored, as Keras'
 *   load_img (PIL) and TensorFlow's decoders ignore it: the model learned from unconverted pixel
 *   values, and skipping the colour transform saves 5-7 ms per image that carries a profile.
 * - Alpha: composited over white, i.e. how the image looks on a white page. Dropping alpha instead
 *   would expose whatever colour hides under transparent pixels (often black).
 * - Animated GIF/WebP, multi-page TIFF: the first frame/page only (`pages: 1`).
 * - Resize: `crop` scales the shorter side to `shorter` and cuts the centre (the evaluation policy
 *   ResNet was trained for); `squash` stretches to the input size (the Keras tutorial's load_img).
 *   Resizing down inside the same pipeline lets libvips shrink on load (JPEG DCT scaling, WebP
 *   scaled decoding): a 40 MP baseline JPEG decodes at 1/8 scale, never whole.
 * - Images so thin that the crop policy would resize them past libvips' coordinate range (an
 *   8x4999999 PNG) have the same centre window cut out first, then resized: same pixels, no
 *   giant intermediate.
 */
import sharp from 'sharp';
import { AppError, tooLarge, unsupportedMedia } from '../errors.js';
import type { RasterFormat } from './sniff.js';

// Each image decodes on one libvips thread while several images decode in parallel on libuv's
// pool (the cores are shared with inference); libvips' operation cache only costs memory here, as
// every upload is a new image.
sharp.concurrency(1);
sharp.cache(false);

export interface Geometry {
  width: number;
  height: number;
  mode: 'crop' | 'squash';
  shorter: number;
}

export interface DecodeLimits {
  maxPixels: number;
  minSide: number;
}

export interface DecodedImage {
  /** HWC interleaved RGB, 8-bit, `width * height * 3` bytes. */
  rgb: Buffer;
  /** Size of the image as uploaded, after EXIF orientation. */
  source: { format: RasterFormat; width: number; height: number };
}

/** What the header says, before any pixel is decoded. */
export interface ImageProbe {
  format: RasterFormat;
  /** Upright size (after EXIF orientation), of the first page. */
  width: number;
  height: number;
  /** Bands as stored (1 grey, 2 grey+alpha, 3 RGB/YCbCr, 4 RGBA/CMYK). */
  bands: number;
  /** Bytes per sample as stored: 1 (8-bit) or 2 (16-bit); more for float TIFF. */
  bytesPerSample: number;
  /** Progressive JPEG, or interlaced (Adam7) PNG/GIF: decoded whole, not by strips. */
  progressive: boolean;
  /** Pages or frames in the file (only the first is decoded). */
  pages: number;
  /** JPEG chroma subsampling, e.g. `4:2:0`, `4:4:4`. */
  chroma?: string;
  /** Bytes of the encoded file. */
  fileBytes: number;
  cmyk: boolean;
  orientation?: number;
}

export interface DecodeOptions {
  /** libvips stops the pipeline after this many whole seconds (0: no limit). */
  timeoutSeconds?: number;
}

// Orientations 5-8 swap width and height.
const swapsAxes = (orientation: number | undefined): boolean => orientation !== undefined && orientation >= 5;

/** Past this resized side, the crop policy cuts its window before resizing (libvips' range is far larger). */
export const MAX_RESIZED_SIDE = 16384;

const BYTES_PER_SAMPLE: Record<string, number> = { uchar: 1, char: 1, ushort: 2, short: 2, uint: 4, int: 4, float: 4, complex: 8, double: 8, dpcomplex: 16 };

function isPixelLimit(err: unknown): boolean {
  return err instanceof Error && /pixel limit/i.test(err.message);
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && /timeout/i.test(err.message);
}

export const decodeTimedOut = (): AppError =>
  new AppError('timeout', 'deadline_exceeded', 'the request was not served within its deadline: its decode was stopped');

export type Plan =
  | { kind: 'resize'; resizeW: number; resizeH: number; left: number; top: number }
  | { kind: 'window'; left: number; top: number; width: number; height: number };

/** Where to resize to, and which centre window to keep, for an upright w x h image. */
export function plan(w: number, h: number, g: Geometry): { resizeW: number; resizeH: number; left: number; top: number } {
  if (g.mode === 'squash') return { resizeW: g.width, resizeH: g.height, left: 0, top: 0 };
  const shorter = Math.max(g.shorter, g.width, g.height);
  const scale = shorter / Math.min(w, h);
  const resizeW = Math.max(g.width, Math.round(w * scale));
  const resizeH = Math.max(g.height, Math.round(h * scale));
  return { resizeW, resizeH, left: Math.floor((resizeW - g.width) / 2), top: Math.floor((resizeH - g.height) / 2) };
}

/**
 * The crop policy's plan, or, when the resized image would be huge (a very thin image), the same
 * centre window in source pixels (at least 1 px each way) to cut before resizing.
 */
export function planFor(w: number, h: number, g: Geometry): Plan {
  const p = plan(w, h, g);
  if (p.resizeW <= MAX_RESIZED_SIDE && p.resizeH <= MAX_RESIZED_SIDE) return { kind: 'resize', ...p };
  const scale = Math.max(g.shorter, g.width, g.height) / Math.min(w, h);
  const width = Math.min(w, Math.max(1, Math.round(g.width / scale)));
  const height = Math.min(h, Math.max(1, Math.round(g.height / scale)));
  return { kind: 'window', left: Math.floor((w - width) / 2), top: Math.floor((h - height) / 2), width, height };
}

const baseOptions = (limits: DecodeLimits): sharp.SharpOptions =>
  // failOn 'error': truncated or corrupt data is refused rather than half-decoded into grey.
  ({ limitInputPixels: limits.maxPixels, failOn: 'error', pages: 1, sequentialRead: true });

/** Reads the header (no pixels): size, layout and whether the decoder must hold the whole image. */
export async function probeImage(bytes: Buffer, format: RasterFormat, limits: DecodeLimits): Promise<ImageProbe> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, baseOptions(limits)).metadata();
  } catch (err) {
    if (isPixelLimit(err)) throw tooLarge('image_too_large', `image is larger than ${limits.maxPixels} pixels`);
    throw unsupportedMedia('undecodable_image', `cannot decode the ${format} image`, err);
  }
  const rawW = meta.width ?? 0;
  const rawH = meta.pageHeight ?? meta.height ?? 0;
  if (rawW * rawH > limits.maxPixels) {
    throw tooLarge('image_too_large', `image is ${rawW}x${rawH} = ${rawW * rawH} pixels; the limit is ${limits.maxPixels}`);
  }
  if (rawW < limits.minSide || rawH < limits.minSide) {
    throw new AppError('unprocessable', 'image_too_small', `image is ${rawW}x${rawH}; each side must be at least ${limits.minSide} pixels`);
  }
  const [width, height] = swapsAxes(meta.orientation) ? [rawH, rawW] : [rawW, rawH];
  return {
    format,
    width,
    height,
    bands: meta.channels ?? 3,
    bytesPerSample: BYTES_PER_SAMPLE[meta.depth ?? 'uchar'] ?? 1,
    progressive: meta.isProgressive === true,
    pages: meta.pages ?? 1,
    chroma: meta.chromaSubsampling,
    fileBytes: bytes.length,
    cmyk: meta.space === 'cmyk',
    orientation: meta.orientation,
  };
}

/** Decodes a probed image to the model's input size. */
export async function decodeProbed(bytes: Buffer, probe: ImageProbe, g: Geometry, limits: DecodeLimits, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const p = planFor(probe.width, probe.height, g);
  try {
    let pipeline = sharp(bytes, { ...baseOptions(limits), ignoreIcc: !probe.cmyk })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb');
    if (p.kind === 'window') {
      pipeline = pipeline.extract({ left: p.left, top: p.top, width: p.width, height: p.height }).resize(g.width, g.height, { fit: 'fill' });
    } else {
      pipeline = pipeline.resize(p.resizeW, p.resizeH, { fit: 'fill' });
      if (p.resizeW !== g.width || p.resizeH !== g.height) {
        pipeline = pipeline.extract({ left: p.left, top: p.top, width: g.width, height: g.height });
      }
    }
    if (opts.timeoutSeconds) pipeline = pipeline.timeout({ seconds: opts.timeoutSeconds });
    const { data, info } = await pipeline.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.width !== g.width || info.height !== g.height || info.channels !== 3) {
      throw new Error(`decoder produced ${info.width}x${info.height}x${info.channels}`);
    }
    return { rgb: data, source: { format: probe.format, width: probe.width, height: probe.height } };
  } catch (err) {
    if (isPixelLimit(err)) throw tooLarge('image_too_large', `image is larger than ${limits.maxPixels} pixels`);
    if (opts.timeoutSeconds && isTimeout(err)) throw decodeTimedOut();
    if (err instanceof Error && /coordinates out of range/i.test(err.message)) {
      // Defence in depth: planFor keeps resizes in range, so this is a shape it did not foresee.
      throw new AppError('unprocessable', 'image_too_thin', `image is ${probe.width}x${probe.height}: too thin to resize to ${g.width}x${g.height}`);
    }
    throw unsupportedMedia('undecodable_image', `cannot decode the ${probe.format} image: ${(err as Error).message}`, err);
  }
}

/** Probe + decode in one call (CLI, calibration, benchmarks). */
export async function decodeImage(bytes: Buffer, format: RasterFormat, g: Geometry, limits: DecodeLimits, opts: DecodeOptions = {}): Promise<DecodedImage> {
  return decodeProbed(bytes, await probeImage(bytes, format, limits), g, limits, opts);
}
