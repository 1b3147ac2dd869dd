/**
 * Prints src/'s layer list (as the README shows it) and which top-level module imports which:
 * `node --import tsx scripts/module-graph.ts`. test/unit/module-graph.test.ts holds the code to it.
 */
import { layerDiagram, moduleGraph, relativeImports } from '../test/helpers/module-graph.js';

console.log(layerDiagram());
console.log();
for (const [module, imports] of moduleGraph(relativeImports())) console.log(`${module} -> ${imports.join(', ') || '(nothing)'}`);
