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
  /** The error body's `code` (classic shape) for a non-2xx answer: which refusal it was. */
  code?: string;
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

/** One request on the pool, timed; never rejects (a failure is an outcome too). */
async function send(pool: Pool, spec: RequestSpec): Promise<Outcome> {
  const started = performance.now();
  try {
    const res = await pool.request({ method: 'POST', path: spec.path, headers: spec.headers, body: spec.body });
    const code = res.statusCode >= 300 ? errorCode(await res.body.text()) : (await res.body.dump({ limit: Infinity }), undefined);
    const retryAfter = res.headers['retry-after'];
    return { kind: spec.kind, status: res.statusCode, code, ms: performance.now() - started, ok: spec.expect.includes(res.statusCode), retryAfter: typeof retryAfter === 'string' ? retryAfter : null };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
    return { kind: spec.kind, status: code, ms: performance.now() - started, ok: false, retryAfter: null };
  }
}

/** `error.code` of an error body in the API's classic shape; undefined for any other body. */
function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** An outcome's key for tallies: the status, with the refusal's code when the body named one. */
export const statusKey = (o: Outcome): string => (o.code ? `${o.status} ${o.code}` : String(o.status));

const newPool = (url: string, connections: number): Pool =>
  // One keep-alive connection per client, as N independent clients would hold.
  new Pool(url, { connections, pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 });

export async function closedLoop(url: string, opts: LoopOptions): Promise<Outcome[]> {
  const pool = newPool(url, opts.concurrency);
  const outcomes: Outcome[] = [];
  let issued = 0;
  const stopAt = opts.seconds !== undefined ? performance.now() + opts.seconds * 1000 : Infinity;
  const more = (): boolean => (opts.total === undefined || issued < opts.total) && performance.now() < stopAt;
  const client = async (): Promise<void> => {
    while (more()) {
      const outcome = await send(pool, opts.next(issued++));
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

export interface OpenLoopOptions {
  /** Requests per second, sent on schedule whatever the answers (clients ignoring Retry-After). */
  rate: number;
  seconds: number;
  /** Connections to spread them over; a request waits for a free one when all are busy. */
  connections: number;
  next: (i: number) => RequestSpec;
}

/**
 * Open loop: a fixed arrival rate, as many independent users produce, so "10x overload" means ten
 * times the requests the server can serve rather than clients that retry as fast as it answers.
 */
export async function openLoop(url: string, opts: OpenLoopOptions): Promise<Outcome[]> {
  const pool = newPool(url, opts.connections);
  const pending: Promise<Outcome>[] = [];
  const started = performance.now();
  const end = started + opts.seconds * 1000;
  try {
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - started) / 1000) * opts.rate);
      while (pending.length < due) pending.push(send(pool, opts.next(pending.length)));
      await new Promise((r) => setTimeout(r, 5));
    }
    return await Promise.all(pending);
  } finally {
    await pool.close();
  }
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
