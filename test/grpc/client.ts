/**
 * A real gRPC client of GRPCInferenceService, loaded by @grpc/proto-loader from the project's own
 * proto/open_inference_grpc.proto (the file the server loads), with promise-returning calls.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_FILE } from '../../src/grpc/proto.js';

type Callback = (err: grpc.ServiceError | null, response: unknown) => void;
type RawMethod = (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback) => grpc.ClientUnaryCall;

export interface CallOpts {
  /** `authorization: Bearer <key>` metadata. */
  apiKey?: string;
  /** Client deadline, in ms from now. */
  deadlineMs?: number;
}

export interface InferenceClient {
  call<T = Record<string, unknown>>(method: string, request?: object, opts?: CallOpts): Promise<T>;
  /** The gRPC error a call ends with (fails the test if it succeeds). */
  error(method: string, request?: object, opts?: CallOpts): Promise<grpc.ServiceError>;
  close(): void;
}

export function inferenceClient(port: number): InferenceClient {
  const definition = protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } };
  const client = new pkg.inference.GRPCInferenceService(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  });
  const call = <T>(method: string, request: object = {}, opts: CallOpts = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const metadata = new grpc.Metadata();
      if (opts.apiKey !== undefined) metadata.set('authorization', `Bearer ${opts.apiKey}`);
      const options: grpc.CallOptions = opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs };
      const fn = (client as unknown as Record<string, RawMethod>)[method].bind(client);
      fn(request, metadata, options, (err, response) => (err ? reject(err) : resolve(response as T)));
    });
  return {
    call,
    error: async (method, request, opts) => {
      try {
        await call(method, request, opts);
      } catch (err) {
        return err as grpc.ServiceError;
      }
      throw new Error(`${method} succeeded where an error was expected`);
    },
    close: () => client.close(),
  };
}
