/**
 * `resnet-serve model convert --out FILE.onnx` (npm run model:convert): converts the cached Keras
 * model to ONNX with the TypeScript converter and writes it to a file, for inspection in tools such
 * as Netron. The server does the same conversion itself (and caches it); this is for looking at it.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readLayersModel } from '../../../model/artifacts.js';
import { progressReporter } from '../../../model/progress.js';
import { EXIT, UsageError } from '../command.js';
import { modelCommand, modelContext } from './common.js';

const help = `usage: resnet-serve model convert --out FILE.onnx

Converts the model (MODEL_NAME, fetched if needed) to fp32 ONNX, checks that ONNX Runtime loads
it, writes it to FILE and prints its inputs, outputs and node counts.

options:
  -o, --out FILE   where to write the ONNX model (required)
  -h, --help       show this help
`;

export const convertCommand = modelCommand({
  name: 'convert',
  summary: 'convert the model to ONNX and write it to a file (for Netron)',
  help,
  options: { out: { type: 'string', short: 'o' } },
  async work(flags, io) {
    const out = flags.out;
    if (out === undefined) throw new UsageError('--out FILE is required');
    const [{ checkOnnxModel, convertLayersModel }, { ensureSource }] = await Promise.all([
      import('../../../convert/index.js'), // on demand, like fetch's
      import('../../../pipeline/prepare.js'),
    ]);
    const { config, descriptor: d, log } = await modelContext(io);
    const source = await ensureSource(config, d, { log, onProgress: progressReporter('model download', log) });
    const started = performance.now();
    const converted = convertLayersModel(await readLayersModel(path.join(source.dir, d.files.modelJson)));
    const seconds = (performance.now() - started) / 1000;
    const check = await checkOnnxModel(converted.bytes);
    await writeFile(out, converted.bytes);
    const ops = new Map<string, number>();
    for (const n of converted.ir.graph.nodes) ops.set(n.opType, (ops.get(n.opType) ?? 0) + 1);
    io.out(`wrote ${out} (${(converted.bytes.length / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)} s; ONNX Runtime loads it\n`);
    io.out(`input ${check.inputNames[0]} [${converted.inputShape.join(', ')}] -> output ${check.outputNames[0]} [${converted.outputShape.join(', ')}]\n`);
    io.out(`nodes: ${[...ops].map(([op, n]) => `${op} ${n}`).join(', ')}; folded BatchNorms ${converted.passes.foldedBatchNorms}, fused pads ${converted.passes.fusedPads}\n`);
    return EXIT.ok;
  },
});
