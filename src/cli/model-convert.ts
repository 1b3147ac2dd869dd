/**
 * `npm run model:convert -- --out resnet50.onnx`: converts the cached Keras model to ONNX with the
 * TypeScript converter and writes it to a file, for inspection in tools such as Netron. The server
 * does the same conversion itself (and caches it); this is for looking at the result.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { checkOnnxModel, convertLayersModel } from '../convert/index.js';
import { readLayersModel } from '../model/artifacts.js';
import { readDescriptor } from '../model/descriptor.js';
import { ensureSource } from '../pipeline/prepare.js';
import { progressReporter } from '../model/progress.js';

const { values } = parseArgs({ options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } } });
if (values.help || !values.out) {
  console.log('usage: npm run model:convert -- --out FILE.onnx\n  converts the model (MODEL_NAME, fetched if needed) to ONNX and writes it to FILE');
  process.exit(values.help ? 0 : 2);
}
try {
  const config = loadConfig();
  const d = await readDescriptor(config.modelRepository, config.modelName);
  const log = (msg: string): void => console.error(msg);
  const source = await ensureSource(config, d, { log, onProgress: progressReporter('model download', log) });
  const started = performance.now();
  const converted = convertLayersModel(await readLayersModel(path.join(source.dir, d.files.modelJson)));
  const seconds = (performance.now() - started) / 1000;
  const check = await checkOnnxModel(converted.bytes);
  await writeFile(values.out, converted.bytes);
  const ops = new Map<string, number>();
  for (const n of converted.ir.graph.nodes) ops.set(n.opType, (ops.get(n.opType) ?? 0) + 1);
  console.log(`wrote ${values.out} (${(converted.bytes.length / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)} s; ONNX Runtime loads it`);
  console.log(`input ${check.inputNames[0]} [${converted.inputShape.join(', ')}] -> output ${check.outputNames[0]} [${converted.outputShape.join(', ')}]`);
  console.log(`nodes: ${[...ops].map(([op, n]) => `${op} ${n}`).join(', ')}; folded BatchNorms ${converted.passes.foldedBatchNorms}, fused pads ${converted.passes.fusedPads}`);
} catch (err) {
  console.error(`model:convert failed: ${(err as Error).message}`);
  process.exit(1);
}
