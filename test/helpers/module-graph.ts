/**
 * The layers of src/ and the import graph between its top-level modules (a folder, or a file
 * directly in src/). LAYERS is the one place the order is written: test/unit/module-graph.test.ts
 * holds the code to it and `node --import tsx scripts/module-graph.ts` prints it for the README.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { PROJECT } from './paths.js';

export const SRC = path.join(PROJECT, 'src');

export interface Layer {
  modules: readonly string[];
  role: string;
}

/**
 * Bottom first. A module may import only modules of lower layers, never its own layer's
 * neighbours or anything above: so the graph has no cycle.
 */
export const LAYERS: readonly Layer[] = [
  { modules: ['errors', 'types'], role: 'typed errors; declarations for untyped packages' },
  { modules: ['config', 'telemetry'], role: 'settings from the environment, validated; OpenTelemetry from the OTEL_* variables' },
  { modules: ['model'], role: 'the descriptor (model.yaml), fetch, source cache, TF.js model files' },
  { modules: ['runtime', 'preprocess'], role: 'the ONNX Runtime loader; upload bytes -> model input' },
  { modules: ['convert'], role: 'Keras (TF.js layers) -> ONNX' },
  { modules: ['sources', 'quantize'], role: 'model file readers (Keras h5/.keras) for the converter; int8 QDQ' },
  { modules: ['pipeline'], role: 'fetch -> convert -> quantize -> cache, per engine and precision' },
  { modules: ['engines'], role: 'ONNX Runtime / TF.js behind one interface, in a worker thread' },
  { modules: ['service'], role: 'model lifecycle, dynamic batcher, top-k' },
  { modules: ['metrics'], role: 'Prometheus, observing the service' },
  { modules: ['http'], role: 'Fastify app, plugins, routes' },
  { modules: ['grpc'], role: 'the gRPC Open Inference Protocol server (shares http/v2 codecs)' },
  { modules: ['app'], role: 'the whole app: HTTP app + service lifecycle (load, metrics, gRPC, shutdown hooks)' },
  { modules: ['serve'], role: 'the server process: listen, signals, exit codes' },
  { modules: ['cli', 'server'], role: 'entry points: resnet-serve <command>, node dist/server.js' },
];

export interface Import {
  from: string; // the importing file
  to: string; // the file or folder it imports
}

/** The top-level module a path under src/ belongs to: its first folder, or a top file's name. */
export function moduleOf(rel: string): string {
  const [first, ...rest] = rel.split(/[\\/]/);
  return rest.length > 0 ? first : first.replace(/\.(d\.)?[cm]?[jt]s$/, '');
}

/** The top-level modules of src/: its folders and the modules of the files directly in it. */
export function srcModules(src = SRC): string[] {
  return [...new Set(readdirSync(src, { withFileTypes: true }).map((e) => moduleOf(e.isDirectory() ? `${e.name}/` : e.name)))].sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/**
 * Every relative import of every .ts file under `root` (src/ unless told): `import` and
 * `export ... from`, type-only ones and dynamic `import()` included (TypeScript's own scanner finds
 * them, comments aside). Paths are relative to `root`.
 */
export function relativeImports(root = SRC): Import[] {
  const out: Import[] = [];
  for (const file of sourceFiles(root)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue; // a package
      const target = path.resolve(path.dirname(file), ref.fileName);
      out.push({ from: path.relative(root, file), to: path.relative(root, target) });
    }
  }
  return out;
}

/**
 * Imports from the tests (test/) that reach outside test/ and src/ (scripts/, bench/, ...), as
 * `file imports target` relative to the project: tests exercise the product and their own helpers
 * only; what a script or the bench shares with the tests lives in src/ or test/helpers/.
 */
export function testImportsOutside(testRoot = path.join(PROJECT, 'test')): string[] {
  const root = path.dirname(testRoot);
  const allowed = [path.join(root, 'src'), testRoot].map((d) => d + path.sep);
  return relativeImports(testRoot)
    .map((i) => ({ from: path.join(testRoot, i.from), to: path.join(testRoot, i.to) }))
    .filter((i) => !allowed.some((d) => i.to.startsWith(d)))
    .map((i) => `${path.relative(root, i.from)} imports ${path.relative(root, i.to)}`);
}

/** Module -> the other modules it imports, both sorted. */
export function moduleGraph(imports: readonly Import[]): Map<string, string[]> {
  const graph = new Map<string, Set<string>>();
  for (const i of imports) {
    const [a, b] = [moduleOf(i.from), moduleOf(i.to)];
    if (!graph.has(a)) graph.set(a, new Set());
    if (a !== b) graph.get(a)!.add(b);
  }
  return new Map([...graph].sort(([a], [b]) => a.localeCompare(b)).map(([m, to]) => [m, [...to].sort()]));
}

/** File -> the src files it imports (`x.js` is `x.ts`, a folder its `index.ts`). */
export function fileGraph(imports: readonly Import[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const i of imports) {
    const to = /\.js$/.test(i.to) ? i.to.replace(/\.js$/, '.ts') : path.join(i.to, 'index.ts');
    graph.set(i.from, [...(graph.get(i.from) ?? []), to]);
  }
  return graph;
}

/** One cycle of `graph` as a path (first node repeated last), or undefined when it has none. */
export function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

export const layerOf = (module: string): number => LAYERS.findIndex((l) => l.modules.includes(module));

/** Imports that do not go strictly down the layers (unknown modules count as violations). */
export function layerViolations(imports: readonly Import[]): string[] {
  return imports
    .filter((i) => {
      const [a, b] = [moduleOf(i.from), moduleOf(i.to)];
      return a !== b && !(layerOf(b) >= 0 && layerOf(b) < layerOf(a));
    })
    .map((i) => `${i.from} imports ${i.to}`);
}

/** The layer list as the README shows it: top first, one line a layer. */
export function layerDiagram(): string {
  const names = LAYERS.map((l) => l.modules.map((m) => (existsSync(path.join(SRC, `${m}.ts`)) ? `${m}.ts` : `${m}/`)).join(' '));
  const width = Math.max(...names.map((n) => n.length));
  return names
    .map((n, i) => `${n.padEnd(width)}  ${LAYERS[i].role}`)
    .reverse()
    .join('\n');
}
