/**
 * Content sniffing: the first bytes decide whether an upload is a raster format we decode, whatever
 * its name or Content-Type says. Only these reach the decoder; SVG (can reference files and URLs),
 * PDF, PostScript and every other format are refused before sharp ever sees them.
 */
export const RASTER_FORMATS = ['jpeg', 'png', 'gif', 'webp', 'tiff', 'avif'] as const;
export type RasterFormat = (typeof RASTER_FORMATS)[number];

const startsWith = (buf: Uint8Array, bytes: readonly number[], at = 0): boolean =>
  buf.length >= at + bytes.length && bytes.every((b, i) => buf[at + i] === b);

const ascii = (buf: Uint8Array, from: number, to: number): string => String.fromCharCode(...buf.subarray(from, to));

/** ISO-BMFF (`ftyp` box) with an AVIF brand among its major/compatible brands. */
function isAvif(buf: Uint8Array): boolean {
  if (buf.length < 16 || ascii(buf, 4, 8) !== 'ftyp') return false;
  const boxSize = ((buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3]) >>> 0;
  const end = Math.min(buf.length, Math.max(16, boxSize));
  const brands = [ascii(buf, 8, 12)];
  for (let i = 16; i + 4 <= end; i += 4) brands.push(ascii(buf, i, i + 4));
  return brands.some((b) => b === 'avif' || b === 'avis');
}

export function sniffImageFormat(buf: Uint8Array): RasterFormat | undefined {
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(buf, [0x47, 0x49, 0x46, 0x38]) && (buf[4] === 0x37 || buf[4] === 0x39) && buf[5] === 0x61) return 'gif';
  if (startsWith(buf, [0x52, 0x49, 0x46, 0x46]) && startsWith(buf, [0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  if (startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) || startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (isAvif(buf)) return 'avif';
  return undefined;
}
