/** What an engine loads, in bytes: the memory estimate starts from it. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** A TF.js layers model: model.json plus its weight shards. */
export async function tfjsModelBytes(modelJsonPath: string): Promise<number> {
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as { weightsManifest?: { paths: string[] }[] };
  const shards = (json.weightsManifest ?? []).flatMap((g) => g.paths);
  const sizes = await Promise.all([modelJsonPath, ...shards.map((p) => path.join(path.dirname(modelJsonPath), p))].map((f) => stat(f).then((s) => s.size)));
  return sizes.reduce((a, b) => a + b, 0);
}
