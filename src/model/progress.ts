/**
 * Download progress: a redrawn line on an interactive terminal, or one log line per 10% elsewhere
 * (containers, CI), so logs stay readable.
 */
import type { ProgressFn } from './fetch.js';

const mb = (n: number): string => (n / 1e6).toFixed(1);

export function progressReporter(label: string, log: (msg: string) => void, stream: NodeJS.WriteStream = process.stderr): ProgressFn {
  let lastDecile = -1;
  let lastDraw = 0;
  return (received, total) => {
    const pct = total > 0 ? Math.min(100, Math.floor((received / total) * 100)) : 0;
    if (stream.isTTY) {
      const now = Date.now();
      if (now - lastDraw < 100 && received < total) return;
      lastDraw = now;
      stream.write(`\r${label}  ${mb(received)} / ${mb(total)} MB  ${String(pct).padStart(3)}%${received >= total ? '\n' : ''}`);
      return;
    }
    const decile = Math.floor(pct / 10);
    if (decile > lastDecile) {
      lastDecile = decile;
      log(`${label}: ${mb(received)} / ${mb(total)} MB (${pct}%)`);
    }
  };
}
