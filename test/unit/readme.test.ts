/** The README is the user's manual: its configuration table must be the code's. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config/config.js';
import { configTable, README, readmeTable } from '../../src/config/config-table.js';

const readme = readFileSync(README, 'utf8');

describe('README', () => {
  it('holds the generated configuration table (run `node --import tsx scripts/config-table.ts --write`)', () => {
    expect(readmeTable(readme)).toBe(configTable());
  });

  it('shows each static default as the code applies it', () => {
    for (const s of SETTINGS) {
      const actual = s.parse(undefined, s.env);
      if (typeof actual === 'number' && s.env !== 'THREADS' && s.env !== 'MAX_UPLOAD_BYTES') expect(s.shownDefault).toBe(String(actual));
      if (typeof actual === 'string' && !actual.startsWith('/')) expect(s.shownDefault).toBe(actual);
    }
  });

  it('shows the two setup commands and the test command', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
    expect(readme).toContain('curl -X POST -F image=@beagle.jpg http://localhost:5000/predict');
  });
});
