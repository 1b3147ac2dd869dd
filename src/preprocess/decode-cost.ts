/**
 * What a decode will cost, from its header alone: peak memory (bytes) and CPU (ms), calibrated
 * against measured decodes (docs/limits.md, `scripts/measure-decode.ts`). The memory figure is
 * what admission charges; the CPU figure picks the scheduling lane.
 *
 * Memory model: a fixed part, the encoded file (sharp reads it from memory), and per source pixel
 * the buffers the decoder must hold whole. Sequential decoders (baseline JPEG with shrink-on-load,
 * non-interlaced PNG, strip TIFF, lossy WebP) hold a few rows; progressive JPEG holds every DCT
 * coefficient (2 bytes per sample of each component at its subsampled size), interlaced PNG the
 * whole image at its stored depth, GIF and lossless WebP a whole RGBA frame, AVIF (libheif) the
 * whole image in YUV and again in RGB(A).
 */
import type { ImageProbe } from './decode.js';

export interface DecodeEstimate {
  /** Estimated peak memory of the decode, encoded file included. */
  bytes: number;
  /** Estimated CPU time of the decode. */
  cpuMs: number;
  /** Goes to the expensive lane: at most one such decode runs at a time. */
  expensive: boolean;
  /** Which row of the cost table applied, for logs and tests. */
  kind: string;
}

/** Allocations every decode makes whatever its size (libvips pipeline, output, row buffers). */
export const FIXED_BYTES = 4 * 1024 * 1024;
/** Decodes estimated above these go to the expensive lane. */
export const EXPENSIVE_CPU_MS = 150;
export const EXPENSIVE_BYTES = 64 * 1024 * 1024;

interface Rate {
  /** Bytes held per source pixel. */
  bytesPerPixel: number;
  /** CPU ms per megapixel. */
  msPerMP: number;
}

/** Samples per pixel of the stored JPEG components, chroma subsampling included. */
function jpegSamples(p: ImageProbe): number {
  if (p.bands === 1) return 1;
  const chroma = p.bands - 1; // 2 for YCbCr, 3 for YCCK/CMYK
  switch (p.chroma) {
    case '4:4:4':
    case '4:4:4:4':
      return 1 + chroma;
    case '4:2:2':
    case '4:2:2:4':
    case '4:4:0':
      return 1 + chroma / 2;
    default:
      return 1 + chroma / 4; // 4:2:0 and rarer, smaller ones
  }
}

/** Measured rates per format and layout (see docs/limits.md); rounded up. */
function rate(p: ImageProbe): { kind: string; rate: Rate } {
  const stored = p.bands * p.bytesPerSample;
  switch (p.format) {
    case 'jpeg':
      return p.progressive
        ? { kind: 'jpeg-progressive', rate: { bytesPerPixel: 2 * jpegSamples(p), msPerMP: 13 * jpegSamples(p) } }
        : { kind: 'jpeg-baseline', rate: { bytesPerPixel: 0.15, msPerMP: 3 } };
    case 'png':
      return p.progressive
        ? { kind: 'png-interlaced', rate: { bytesPerPixel: stored + 1, msPerMP: 8 * stored } }
        : { kind: 'png', rate: { bytesPerPixel: 1, msPerMP: 8 * stored } };
    case 'gif':
      return { kind: 'gif', rate: { bytesPerPixel: 5, msPerMP: 20 } };
    case 'webp':
      // The header does not say lossy or lossless: priced as lossless (a whole ARGB frame).
      return { kind: 'webp', rate: { bytesPerPixel: 4, msPerMP: 40 } };
    case 'tiff':
      return { kind: 'tiff', rate: { bytesPerPixel: stored / 3 + 0.2, msPerMP: 5 * stored } };
    case 'avif':
      return { kind: 'avif', rate: { bytesPerPixel: 19, msPerMP: 100 } };
  }
}

export function estimateDecode(p: ImageProbe): DecodeEstimate {
  const { kind, rate: r } = rate(p);
  const pixels = p.width * p.height;
  const bytes = Math.ceil(FIXED_BYTES + p.fileBytes + pixels * r.bytesPerPixel);
  const cpuMs = (pixels / 1e6) * r.msPerMP;
  return { bytes, cpuMs, expensive: cpuMs > EXPENSIVE_CPU_MS || bytes > EXPENSIVE_BYTES, kind };
}
