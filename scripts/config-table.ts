/**
 * The README's configuration table, generated from the one config module so docs and code cannot
 * drift. `node --import tsx scripts/config-table.ts` prints it; `--write` updates README.md between
 * its markers. test/unit/readme.test.ts checks the README holds exactly this table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../src/config/config.js';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

export function configTable(): string {
  const rows = SETTINGS.map((s) => `| \`${s.env}\` | \`${s.shownDefault}\` | ${s.describe} |`);
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The table block currently in the README, or undefined if the markers are missing. */
export function readmeTable(text: string): string | undefined {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  return a < 0 || b < a ? undefined : text.slice(a + START.length, b).trim();
}

if (process.argv[1]?.endsWith('config-table.ts')) {
  if (process.argv.includes('--write')) {
    const text = readFileSync(README, 'utf8');
    const a = text.indexOf(START);
    const b = text.indexOf(END);
    if (a < 0 || b < a) throw new Error(`README.md lacks ${START} ... ${END}`);
    writeFileSync(README, `${text.slice(0, a + START.length)}\n${configTable()}\n${text.slice(b)}`);
  } else {
    console.log(configTable());
  }
}
