/** Where preprocessing time goes, per image: JPEG decode alone vs the full serving pipeline. */
import sharp from 'sharp';
import { ImagePreprocessor } from '../src/preprocess/preprocessor.js';

export interface PreprocessResult {
  images: number;
  decodeOnlyMs: number;
  pipelineMs: number;
}

export async function measurePreprocess(pre: ImagePreprocessor, images: Buffer[], rounds = 3): Promise<PreprocessResult> {
  const time = async (fn: (b: Buffer) => Promise<unknown>): Promise<number> => {
    const started = performance.now();
    for (let r = 0; r < rounds; r++) for (const img of images) await fn(img);
    return (performance.now() - started) / (rounds * images.length);
  };
  // Full-size decode to raw pixels: what decoding costs without shrink-on-load and resizing.
  const decodeOnlyMs = await time((b) => sharp(b).raw().toBuffer());
  const pipelineMs = await time((b) => pre.preprocess(b));
  return { images: images.length, decodeOnlyMs, pipelineMs };
}
