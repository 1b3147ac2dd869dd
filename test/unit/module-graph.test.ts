/**
 * The module graph of src/ is the layer list of test/helpers/module-graph.ts: each top-level module
 * imports only modules of lower layers (type-only and dynamic imports included), so there is no
 * import cycle between modules; and no cycle between files either.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT } from '../helpers/paths.js';
import { fileGraph, findCycle, LAYERS, layerViolations, moduleGraph, relativeImports, srcModules, testImportsOutside } from '../helpers/module-graph.js';

const imports = relativeImports();

describe('src/ module graph', () => {
  it('places every top-level module of src/ in exactly one layer', () => {
    const listed = LAYERS.flatMap((l) => l.modules);
    expect(new Set(listed).size).toBe(listed.length);
    expect(srcModules().filter((m) => !listed.includes(m))).toEqual([]);
  });

  it('has every import go down the layers', () => {
    expect(imports.length).toBeGreaterThan(100);
    expect(layerViolations(imports)).toEqual([]);
  });

  it('has no cycle between modules, nor between files', () => {
    expect(findCycle(moduleGraph(imports))).toBeUndefined();
    expect(findCycle(fileGraph(imports))).toBeUndefined();
  });
});

describe('tests', () => {
  it('import src/ and test helpers only, never scripts/ or bench/ (those import src/ and test helpers instead)', () => {
    expect(relativeImports(path.join(PROJECT, 'test')).length).toBeGreaterThan(100);
    expect(testImportsOutside()).toEqual([]);
  });
});

describe('the module graph checker', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'module-graph-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  // A model that reaches up into engines through every import form, and engines back down.
  write('model/a.ts', "import type { T } from '../engines/t.js';\nexport type { U } from '../engines/u.js';\n// import '../http/x.js' (a comment)\n");
  write('model/b.ts', "export { v } from './a.js';\nconst m = await import('../service/s.js');\nimport 'node:fs';\n");
  write('engines/t.ts', "import { x } from '../model/b.js';\n");
  write('errors.ts', "export class E {}\n");
  const found = relativeImports(dir);

  it('sees type-only, re-export and dynamic imports, not comments or packages', () => {
    expect(found).toEqual([
      { from: 'engines/t.ts', to: 'model/b.js' },
      { from: 'model/a.ts', to: 'engines/t.js' },
      { from: 'model/a.ts', to: 'engines/u.js' },
      { from: 'model/b.ts', to: 'model/a.js' },
      { from: 'model/b.ts', to: 'service/s.js' },
    ]);
    expect(srcModules(dir)).toEqual(['engines', 'errors', 'model']);
  });

  it('reports the cycle and the imports that go up', () => {
    const graph = moduleGraph(found);
    expect(graph.get('model')).toEqual(['engines', 'service']);
    expect(findCycle(graph)).toEqual(['engines', 'model', 'engines']);
    expect(findCycle(fileGraph(found))).toEqual(['engines/t.ts', 'model/b.ts', 'model/a.ts', 'engines/t.ts']);
    expect(layerViolations(found)).toEqual(['model/a.ts imports engines/t.js', 'model/a.ts imports engines/u.js', 'model/b.ts imports service/s.js']);
  });
});

describe('the test import checker', () => {
  const project = mkdtempSync(path.join(os.tmpdir(), 'test-imports-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('reports test files that import scripts/ or bench/, not src/ or test helpers', () => {
    const files: Record<string, string> = {
      'test/unit/a.test.ts': "import { x } from '../../src/model/b.js';\nimport { h } from '../helpers/h.js';\nimport { t } from '../../scripts/table.js';\n",
      'test/helpers/h.ts': "export { run } from '../../bench/run.js';\n",
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
      writeFileSync(path.join(project, rel), text);
    }
    expect(testImportsOutside(path.join(project, 'test'))).toEqual([
      `${path.join('test', 'helpers', 'h.ts')} imports ${path.join('bench', 'run.js')}`,
      `${path.join('test', 'unit', 'a.test.ts')} imports ${path.join('scripts', 'table.js')}`,
    ]);
  });
});
