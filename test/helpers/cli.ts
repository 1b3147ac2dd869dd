/** The `resnet-serve` command line as a child process (from source through tsx: no build needed). */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach } from 'vitest';
import { PROJECT } from './paths.js';

const MAIN = path.join(PROJECT, 'src', 'cli', 'main.ts');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ReturnType<typeof spawn>>();

/** Kills what a test left running (call once per test file). */
export function killChildrenAfterEach(): void {
  afterEach(() => {
    for (const c of children) c.kill('SIGKILL');
  });
}

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof spawn> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: PROJECT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

export function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const child = cli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
