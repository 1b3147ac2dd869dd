/**
 * The README's configuration table, generated from SETTINGS so docs and code cannot drift.
 * `node --import tsx scripts/config-table.ts` prints it, `--write` puts it in README.md between its
 * markers; test/unit/readme.test.ts checks the README holds exactly this table.
 */
import path from 'node:path';
import { PROJECT_ROOT, SETTINGS } from './config.js';

export const README = path.join(PROJECT_ROOT, 'README.md');
const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

export function configTable(): string {
  const rows = SETTINGS.map((s) => `| \`${s.env}\` | \`${s.shownDefault}\` | ${s.describe} |`);
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The table block currently in the README text, or undefined if the markers are missing. */
export function readmeTable(text: string): string | undefined {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  return a < 0 || b < a ? undefined : text.slice(a + START.length, b).trim();
}

/** The README text with its table replaced by the current one. */
export function withConfigTable(text: string): string {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md lacks ${START} ... ${END}`);
  return `${text.slice(0, a + START.length)}\n${configTable()}\n${text.slice(b)}`;
}
