import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sniffImageFormat } from '../../src/preprocess/sniff.js';
import { EDGE } from '../helpers/paths.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('sniffImageFormat', () => {
  it.each([
    ['beagle-gray.png', 'png'],
    ['beagle-cmyk.jpg', 'jpeg'],
    ['beagle.gif', 'gif'],
    ['beagle.webp', 'webp'],
    ['beagle.tiff', 'tiff'],
  ])('recognises %s as %s', (file, format) => {
    expect(sniffImageFormat(readFileSync(path.join(EDGE, file)))).toBe(format);
  });

  it('recognises AVIF by its ftyp brand', () => {
    const avif = Buffer.concat([Buffer.from([0, 0, 0, 0x1c]), bytes('ftypavif'), Buffer.alloc(4), bytes('avifmif1miaf')]);
    expect(sniffImageFormat(avif)).toBe('avif');
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), bytes('ftypheic'), Buffer.alloc(4), bytes('mif1heic')]);
    expect(sniffImageFormat(heic)).toBeUndefined();
  });

  it.each([
    ['SVG', '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>'],
    ['bare SVG', '<svg xmlns="http://www.w3.org/2000/svg"></svg>'],
    ['PDF', '%PDF-1.7\n%....'],
    ['PostScript', '%!PS-Adobe-3.0'],
    ['HTML', '<!doctype html><html>'],
    ['JSON', '{"image":"x"}'],
    ['text', 'this is not an image'],
    ['empty', ''],
  ])('refuses %s', (_name, content) => {
    expect(sniffImageFormat(bytes(content))).toBeUndefined();
  });
});
