/**
 * A closed-loop client pool with per-request timing by outcome: N clients each send a request,
 * wait for its answer, and send the next. Used where the outcome mix matters (overload, soak);
 * `npm run bench` uses autocannon for plain throughput.
 *
 * Requests go through undici's `request` on a keep-alive pool, not `fetch`: the clients share the
 * server's two cores, and fetch's WHATWG streams cost several times more CPU per request, CPU
 * the server then lacks (measured: see README, Overload).
 */
import { Pool } from 'undici';

export interface RequestSpec {
  kind: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | string;
  /** Statuses that count as a correct answer for this request. */
  expect: number[];
}

export interface Outcome {
  kind: string;
  status: number | string;
  ms: number;
  ok: boolean;
  retryAfter: string | null;
}

export interface LoopOptions {
  concurrency: number;
  /** Stop after this many requests in total, or after `seconds`. */
  total?: number;
  seconds?: number;
  /** Clients wait out a 503's Retry-After before their next request (a polite client). */
  honourRetryAfter?: boolean;
  next: (i: number) => RequestSpec;
  onOutcome?: (o: Outcome, done: number) => void;
}

export async function closedLoop(url: string, opts: LoopOptions): Promise<Outcome[]> {
  // One keep-alive connection per client, as N independent clients would hold.
  const pool = new Pool(url, { connections: opts.concurrency, pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const outcomes: Outcome[] = [];
  let issued = 0;
  const stopAt = opts.seconds !== undefined ? performance.now() + opts.seconds * 1000 : Infinity;
  const more = (): boolean => (opts.total === undefined || issued < opts.total) && performance.now() < stopAt;
  const client = async (): Promise<void> => {
    while (more()) {
      const spec = opts.next(issued++);
      const started = performance.now();
      let outcome: Outcome;
      try {
        const res = await pool.request({ method: 'POST', path: spec.path, headers: spec.headers, body: spec.body });
        await res.body.dump({ limit: Infinity });
        const retryAfter = res.headers['retry-after'];
        outcome = { kind: spec.kind, status: res.statusCode, ms: performance.now() - started, ok: spec.expect.includes(res.statusCode), retryAfter: typeof retryAfter === 'string' ? retryAfter : null };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
        outcome = { kind: spec.kind, status: code, ms: performance.now() - started, ok: false, retryAfter: null };
      }
      outcomes.push(outcome);
      opts.onOutcome?.(outcome, outcomes.length);
      if (opts.honourRetryAfter && outcome.status === 503 && outcome.retryAfter) {
        await new Promise((r) => setTimeout(r, Number(outcome.retryAfter) * 1000));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, client));
  } finally {
    await pool.close();
  }
  return outcomes;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
}
