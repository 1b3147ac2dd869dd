/**
 * An in-process OTLP/HTTP trace receiver for tests (a collector's `otlp` receiver, reduced to what
 * the tests read): POST /v1/traces in http/json (decoded as JSON, ids hex as OTLP/JSON says) or
 * http/protobuf (decoded with protobufjs and ./otlp-trace.proto), every span flattened to one
 * record with its resource. Tests only.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

export type AttrValue = string | number | boolean;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** SpanKind as OTLP numbers it: 1 internal, 2 server. */
  kind: number;
  attributes: Record<string, AttrValue>;
  links: { traceId: string; spanId: string; attributes: Record<string, AttrValue> }[];
  /** 0 unset, 2 error. */
  status: number;
  scope: string;
  resource: Record<string, AttrValue>;
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  url: string;
  /** Content-Type of every export received, in order. */
  contentTypes: string[];
  spans: ReceivedSpan[];
  close(): Promise<void>;
}

// The shapes both encodings decode to (protobufjs' toObject and OTLP/JSON use the same camelCase names).
interface WireKeyValue {
  key: string;
  value?: { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number };
}
interface WireSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  attributes?: WireKeyValue[];
  links?: { traceId?: string; spanId?: string; attributes?: WireKeyValue[] }[];
  status?: { code?: number };
}
interface WireRequest {
  resourceSpans?: { resource?: { attributes?: WireKeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: WireSpan[] }[] }[];
}

const requestType = protobuf
  .loadSync(new URL('./otlp-trace.proto', import.meta.url).pathname)
  .lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

function decodeProtobuf(body: Buffer): WireRequest {
  // Ids as hex, like OTLP/JSON; 64-bit integers as strings.
  return requestType.toObject(requestType.decode(body), { longs: String, bytes: String, defaults: false }) as WireRequest;
}

/** protobufjs renders bytes as base64 (bytes: String); OTLP/JSON carries them as hex. */
const hexOf = (id: string | undefined, fromBase64: boolean): string => (id ? (fromBase64 ? Buffer.from(id, 'base64').toString('hex') : id) : '');

function attributes(list: WireKeyValue[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const { key, value } of list ?? []) {
    const v = value?.stringValue ?? value?.boolValue ?? value?.doubleValue ?? (value?.intValue !== undefined ? Number(value.intValue) : undefined);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function flatten(req: WireRequest, fromBase64: boolean): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: hexOf(s.traceId, fromBase64),
          spanId: hexOf(s.spanId, fromBase64),
          parentSpanId: hexOf(s.parentSpanId, fromBase64),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          attributes: attributes(s.attributes),
          links: (s.links ?? []).map((l) => ({ traceId: hexOf(l.traceId, fromBase64), spanId: hexOf(l.spanId, fromBase64), attributes: attributes(l.attributes) })),
          status: s.status?.code ?? 0,
          scope: ss.scope?.name ?? '',
          resource,
        });
      }
    }
  }
  return spans;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const contentTypes: string[] = [];
  const spans: ReceivedSpan[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    contentTypes.push(type);
    if (type === 'application/x-protobuf') {
      spans.push(...flatten(decodeProtobuf(body), true));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(); // an empty ExportTraceServiceResponse
    } else if (type === 'application/json') {
      spans.push(...flatten(JSON.parse(body.toString('utf8')) as WireRequest, false));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } else {
      res.writeHead(415).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    contentTypes,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
