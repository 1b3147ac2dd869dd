/** Closed-loop HTTP load with autocannon: real JPEGs, rotated per request, raw image bodies. */
import autocannon from 'autocannon';

export interface LoadResult {
  concurrency: number;
  seconds: number;
  requests: number;
  imagesPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  non2xx: number;
  statuses: Record<string, number>;
}

export async function runLoad(url: string, images: Buffer[], concurrency: number, seconds: number, path = '/predict'): Promise<LoadResult> {
  let next = 0;
  const statuses: Record<string, number> = {};
  const result = await autocannon({
    url: `${url}${path}`,
    connections: concurrency,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        setupRequest: (req) => ({ ...req, body: images[next++ % images.length] }),
        onResponse: (status) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
        },
      },
    ],
  });
  const ok = statuses['200'] ?? 0;
  return {
    concurrency,
    seconds,
    requests: result.requests.total,
    imagesPerSecond: ok / seconds,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors,
    non2xx: result.non2xx,
    statuses,
  };
}
