/**
 * How image bytes arrive: multipart field `image` (the Flask tutorial's curl -F image=@dog.jpg) or
 * a raw body with `Content-Type: image/*` / `application/octet-stream`. Limits are enforced while
 * reading, so an oversized upload is cut off early instead of buffered.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, invalidRequest } from '../../errors.js';
import type { UploadMeter } from './upload-meter.js';

export const IMAGE_FIELD = 'image';

export interface UploadOptions {
  maxUploadBytes: number;
}

async function uploads(app: FastifyInstance, opts: UploadOptions): Promise<void> {
  app.decorateRequest('upload', null);
  await app.register(multipart, {
    limits: { fileSize: opts.maxUploadBytes, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 40, headerPairs: 100 },
  });
  const raw = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void): void => done(null, body);
  app.addContentTypeParser(/^image\/[\w.+-]+(?:;|$)/i, { parseAs: 'buffer', bodyLimit: opts.maxUploadBytes }, raw); // `; params` ignored
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: opts.maxUploadBytes }, raw);
}

export const uploadsPlugin = fp(uploads, { name: 'uploads' });

async function readMultipart(request: FastifyRequest): Promise<{ image?: Buffer; others: string[] }> {
  const reading = readParts(request);
  // A metered body is refused the moment its meter says so (limit, budget, deadline), whatever
  // part the parser is in: a discarded part or a long text field is not read to its end first.
  return request.upload ? Promise.race([reading, request.upload.failed]) : reading;
}

async function readParts(request: FastifyRequest): Promise<{ image?: Buffer; others: string[] }> {
  let image: Buffer | undefined;
  const others: string[] = [];
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      if (part.fieldname !== IMAGE_FIELD) {
        // Refused at once: another file's bytes are never read, let alone buffered.
        throw invalidRequest('missing_image', `send the image as multipart field "${IMAGE_FIELD}" (got file field "${part.fieldname}")`);
      }
      image = await readPart(part.file, request.upload);
    }
  } catch (err) {
    // Limit errors carry a Fastify code and map precisely; anything else the parser throws here
    // is a malformed body (busboy's errors have no code): the client's fault, not a 500.
    if (err instanceof AppError || (err as { code?: string }).code !== undefined) throw err;
    throw new AppError('invalid_request', 'invalid_multipart', `malformed multipart body: ${(err as Error).message}`);
  }
  return { image, others };
}

/**
 * Reads the image part, taking every chunk on the request's meter as it arrives (budget and
 * limit, waiting for room), then joins the chunks once.
 */
async function readPart(file: AsyncIterable<Buffer> & { truncated?: boolean }, meter: UploadMeter | null): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of file) {
    const waiting = meter?.take(chunk.length);
    if (waiting) await waiting; // the part is not read meanwhile: the connection pauses
    chunks.push(chunk);
    length += chunk.length;
  }
  if (file.truncated) throw new AppError('too_large', 'upload_too_large', 'the image is larger than MAX_UPLOAD_BYTES');
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
}

/** The uploaded image's bytes, from whichever form the request used. */
export async function readImage(request: FastifyRequest): Promise<Buffer> {
  if (request.isMultipart()) {
    const { image, others } = await readMultipart(request);
    if (image === undefined) {
      const got = others.length > 0 ? ` (got file field ${others.map((f) => `"${f}"`).join(', ')})` : '';
      throw invalidRequest('missing_image', `send the image as multipart field "${IMAGE_FIELD}"${got}`);
    }
    if (image.length === 0) throw invalidRequest('empty_image', 'the image is empty (0 bytes)');
    return image;
  }
  const body = request.body;
  if (Buffer.isBuffer(body)) {
    if (body.length === 0) throw invalidRequest('empty_image', 'the image is empty (0 bytes)');
    return body;
  }
  if (body === undefined || body === null) {
    throw invalidRequest('missing_image', `no image: send multipart/form-data with field "${IMAGE_FIELD}", or the raw image with Content-Type image/*`);
  }
  throw new AppError(
    'unsupported_media',
    'unsupported_content_type',
    `Content-Type ${request.headers['content-type'] ?? '(none)'} carries no image: send multipart/form-data with field "${IMAGE_FIELD}", or the raw image with Content-Type image/*`,
  );
}
