/**
 * The gRPC endpoint (Open Inference Protocol, GRPC_PORT): one call starts it beside the HTTP server,
 * on the same InferenceService, and `close()` drains it: no new calls, running ones finish, and
 * whatever still runs after the grace period is cut off.
 */
import * as grpc from '@grpc/grpc-js';
import type { Config } from '../config/config.js';
import { StartupError } from '../errors.js';
import { v2BodyLimit } from '../http/v2/codec.js';
import { EXTENSIONS } from '../http/v2/signature.js';
import type { InferenceService } from '../service/inference-service.js';
import { inferenceServiceDefinition } from './proto.js';
import { inferenceHandlers, type CallLog } from './service.js';

export interface GrpcServerOptions {
  config: Config;
  service: InferenceService;
  log: CallLog;
  /** Reported by ServerMetadata. */
  version: string;
  /** Defaults: config.grpcPort and config.host. */
  port?: number;
  host?: string;
}

export interface RunningGrpcServer {
  /** The bound port (the ephemeral one when asked for 0). */
  port: number;
  /** Graceful stop: refuse new calls, let running ones finish, force-close after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { config } = opts;
  const server = new grpc.Server({
    // A call may carry what an HTTP v2 body may: MAX_UPLOAD_BYTES of images, with room to spare;
    // larger messages are refused by grpc-js itself with RESOURCE_EXHAUSTED.
    'grpc.max_receive_message_length': v2BodyLimit(config.maxUploadBytes),
  });
  server.addService(
    inferenceServiceDefinition(),
    inferenceHandlers({ config, service: opts.service, log: opts.log, server: { name: 'resnet-serve', version: opts.version, extensions: EXTENSIONS } }),
  );
  const host = opts.host ?? config.host;
  const port = opts.port ?? config.grpcPort ?? 0;
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  }).catch((err: unknown) => {
    server.forceShutdown();
    throw new StartupError(`cannot listen for gRPC on ${address}: ${(err as Error).message}`, { cause: err });
  });

  let closing: Promise<void> | undefined;
  const close = (graceMs = config.shutdownGraceMs): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return closing;
  };
  return { port: bound, close };
}
