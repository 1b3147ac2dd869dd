/**
 * Writes a small Keras 3 `.keras` classifier and its labels into a folder, as a team's own model
 * would arrive: `npm run test:image` serves it from the built image the way KServe does
 * (MODEL_PATH=/mnt/models), which proves the image reads, converts and quantizes a Keras file.
 *
 *   node --import tsx scripts/write-demo-model.ts <folder>
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeKeras3Archive } from '../test/sources/writers.js';

const LABELS = ['rose', 'tulip', 'daisy', 'sunflower'];

async function main(dir: string): Promise<void> {
  await tf.setBackend('cpu');
  const input = tf.input({ shape: [32, 32, 3], name: 'image' });
  const L = tf.layers;
  let x = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv' }).apply(input) as tf.SymbolicTensor;
  x = L.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
  x = L.reLU({ name: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = L.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const out = L.dense({ units: LABELS.length, activation: 'softmax', name: 'probs' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out, name: 'flowers' });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  if (!artifacts) throw new Error('the model was not saved');
  await mkdir(dir, { recursive: true });
  await writeKeras3Archive(path.join(dir, 'flowers.keras'), artifacts);
  await writeFile(path.join(dir, 'labels.txt'), `${LABELS.join('\n')}\n`);
}

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node --import tsx scripts/write-demo-model.ts <folder>\n');
  process.exit(2);
}
await main(path.resolve(dir));
