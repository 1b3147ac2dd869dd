/**
 * Decode + geometry with sharp (libvips): any supported raster -> 8-bit sRGB RGB pixels at the
 * model's input size.
 *
 * - EXIF orientation is applied first, so a rotated phone photo is classified upright.
 * - Colour: grayscale, CMYK (through its ICC profile, or libvips' default CMYK profile), 16-bit and
 *   palette images all become 8-bit sRGB. An RGB image's embedded ICC profile is ignored, as Keras'
 *   load_img (PIL) and TensorFlow's decoders ignore it: the model learned from unconverted pixel
 *   values, and skipping the colour transform saves 5-7 ms per image that carries a profile.
 * - Alpha: composited over white, i.e. how the image looks on a white page. Dropping alpha instead
 *   would expose whatever colour hides under transparent pixels (often black).
 * - Animated GIF/WebP: the first frame.
 * - Resize: `crop` scales the shorter side to `shorter` and cuts the centre (the evaluation policy
 *   ResNet was trained for); `squash` stretches to the input size (the Keras tutorial's load_img).
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

// Orientations 5-8 swap width and height.
const swapsAxes = (orientation: number | undefined): boolean => orientation !== undefined && orientation >= 5;

function isPixelLimit(err: unknown): boolean {
  return err instanceof Error && /pixel limit/i.test(err.message);
}

/** Where to resize to, and which centre window to keep, for an upright w x h image. */
export function plan(w: number, h: number, g: Geometry): { resizeW: number; resizeH: number; left: number; top: number } {
  if (g.mode === 'squash') return { resizeW: g.width, resizeH: g.height, left: 0, top: 0 };
  const shorter = Math.max(g.shorter, g.width, g.height);
  const scale = shorter / Math.min(w, h);
  const resizeW = Math.max(g.width, Math.round(w * scale));
  const resizeH = Math.max(g.height, Math.round(h * scale));
  return { resizeW, resizeH, left: Math.floor((resizeW - g.width) / 2), top: Math.floor((resizeH - g.height) / 2) };
}

export async function decodeImage(bytes: Buffer, format: RasterFormat, g: Geometry, limits: DecodeLimits): Promise<DecodedImage> {
  // failOn 'error': truncated or corrupt data is refused rather than half-decoded into grey.
  const options: sharp.SharpOptions = { limitInputPixels: limits.maxPixels, failOn: 'error', pages: 1, sequentialRead: true };
  const image = sharp(bytes, options);
  let meta: sharp.Metadata;
  try {
    meta = await image.metadata(); // header only: the pixel check below happens before decoding
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
  const [w, h] = swapsAxes(meta.orientation) ? [rawH, rawW] : [rawW, rawH];
  const p = plan(w, h, g);
  try {
    let pipeline = sharp(bytes, { ...options, ignoreIcc: meta.space !== 'cmyk' })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize(p.resizeW, p.resizeH, { fit: 'fill' });
    if (p.resizeW !== g.width || p.resizeH !== g.height) {
      pipeline = pipeline.extract({ left: p.left, top: p.top, width: g.width, height: g.height });
    }
    const { data, info } = await pipeline.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.width !== g.width || info.height !== g.height || info.channels !== 3) {
      throw new Error(`decoder produced ${info.width}x${info.height}x${info.channels}`);
    }
    return { rgb: data, source: { format, width: w, height: h } };
  } catch (err) {
    if (isPixelLimit(err)) throw tooLarge('image_too_large', `image is larger than ${limits.maxPixels} pixels`);
    throw unsupportedMedia('undecodable_image', `cannot decode the ${format} image: ${(err as Error).message}`, err);
  }
}
