/**
 * `npm run openapi`: writes docs/openapi.json (src/http/openapi-document.ts builds it).
 * `npm run openapi -- --check` only compares (exit 1 when the checked-in file is stale).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildOpenApiDocument, OPENAPI_FILE, renderOpenApi } from '../src/http/openapi-document.js';

async function main(argv: readonly string[]): Promise<number> {
  const text = renderOpenApi(await buildOpenApiDocument());
  const shown = path.relative(process.cwd(), OPENAPI_FILE) || OPENAPI_FILE;
  if (argv.includes('--check')) {
    const current = await readFile(OPENAPI_FILE, 'utf8').catch(() => '');
    if (current === text) {
      process.stdout.write(`${shown} is up to date\n`);
      return 0;
    }
    process.stderr.write(`${shown} is stale: run \`npm run openapi\` and commit the result\n`);
    return 1;
  }
  await mkdir(path.dirname(OPENAPI_FILE), { recursive: true });
  await writeFile(OPENAPI_FILE, text);
  process.stdout.write(`wrote ${shown} (${Buffer.byteLength(text)} bytes)\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`openapi export failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
