/**
 * Prints the README's configuration table (src/config/config-table.ts); `--write` updates README.md
 * between its markers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable, README, withConfigTable } from '../src/config/config-table.js';

if (process.argv.includes('--write')) writeFileSync(README, withConfigTable(readFileSync(README, 'utf8')));
else console.log(configTable());
