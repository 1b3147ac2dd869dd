/**
 * The real server process serves gRPC on GRPC_PORT beside HTTP, and SIGTERM drains it: calls that
 * were running when the signal came complete with OK, then the process exits 0. With GRPC_PORT=off
 * nothing listens for gRPC.
 */
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { freePort, startServer } from '../helpers/server-process.js';
import { imagenetSample, readImage, SMOKE } from '../helpers/paths.js';
import { floatsOf } from '../helpers/tensors.js';
import { inferenceClient } from './client.js';

const request = (image: Buffer) => ({ model_name: 'resnet50', inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [image] } }] });

describe('gRPC in the server process', () => {
  it('answers on GRPC_PORT; SIGTERM mid-burst: all 16 running calls complete OK, then exit 0', async () => {
    const grpcPort = await freePort();
    const server = await startServer({ LOG_LEVEL: 'debug', GRPC_PORT: String(grpcPort), SHUTDOWN_GRACE_MS: '60000', MAX_QUEUE: '100' }, { fromSource: true });
    const client = inferenceClient(grpcPort);
    try {
      expect(await client.call('ServerReady')).toEqual({ ready: true });
      const samples = imagenetSample().slice(0, 16);
      const calls = samples.map((s) => client.call<{ raw_output_contents: Buffer[] }>('ModelInfer', request(readImage(s.file))).then(
        (r) => ({ sum: floatsOf(r.raw_output_contents[0]).reduce((a, b) => a + b, 0) }),
        (e: { code: number }) => ({ error: status[e.code] }),
      ));
      // "Running" = the server has taken the call in: at debug it logs each one as it arrives.
      await server.waitFor((out) => out.split('\n').filter((l) => l.includes('"msg":"incoming grpc call"') && l.includes('"grpc":"ModelInfer"')).length >= samples.length);
      const exit = once(server.child, 'exit') as Promise<[number | null]>;
      server.child.kill('SIGTERM');
      const outcomes = await Promise.all(calls);
      expect(outcomes.filter((o) => 'error' in o)).toEqual([]);
      for (const o of outcomes) expect('sum' in o && o.sum).toBeCloseTo(1, 3);
      const [code] = await exit;
      expect(code).toBe(0);
      const after = await client.error('ServerLive', {}, { deadlineMs: 2_000 });
      expect(['UNAVAILABLE', 'DEADLINE_EXCEEDED']).toContain(status[after.code]);
    } finally {
      client.close();
      server.child.kill('SIGKILL');
    }
  });

  it('GRPC_PORT already in use: exit 1 with one fatal line naming the gRPC address', async () => {
    const blocker = net.createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const server = await startServer({ LOG_LEVEL: 'info', GRPC_PORT: String(port) }, { fromSource: true, noWait: true });
      const [code] = (await once(server.child, 'exit')) as [number | null];
      expect(code).toBe(1);
      const fatal = server.output().split('\n').filter((l) => l.includes('"level":60'));
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toContain(`cannot listen for gRPC on 127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  });

  it('GRPC_PORT=off: no gRPC endpoint, HTTP as usual', async () => {
    const grpcPort = await freePort();
    const server = await startServer({ GRPC_PORT: 'off' }, { fromSource: true });
    const client = inferenceClient(grpcPort);
    try {
      const err = await client.error('ServerLive', {}, { deadlineMs: 2_000 });
      expect(['UNAVAILABLE', 'DEADLINE_EXCEEDED']).toContain(status[err.code]);
      const res = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(readImage(path.join(SMOKE, 'beagle.jpg'))) });
      expect(res.status).toBe(200);
    } finally {
      client.close();
      server.child.kill('SIGTERM');
    }
  });
});
