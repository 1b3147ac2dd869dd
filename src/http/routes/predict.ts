/** POST /predict: the Flask tutorial's API (multipart field `image`, or a raw image body). */
import type { FastifyInstance } from 'fastify';
import { meterUpload } from '../plugins/upload-meter.js';
import { untilAborted } from '../plugins/deadline.js';
import { readImage } from '../plugins/uploads.js';
import { errorResponses, topkQuery } from '../schemas.js';

export default async function predictRoutes(app: FastifyInstance): Promise<void> {
  const { config } = app;
  app.post<{ Querystring: { topk: number; model?: string } }>(
    '/predict',
    {
      config: { auth: true },
      // Before the body is read: a loading or stopping server, or an unknown model, refuses at once.
      onRequest: async (request) => {
        app.service.resolve({ name: (request.query as { model?: string }).model });
      },
      // The body is charged to the memory budget from its first byte and bounded as it arrives;
      // it takes no MAX_QUEUE slot while it is still arriving (a stalled upload holds only its bytes).
      preParsing: async (request, reply, payload) =>
        meterUpload(request, reply, payload, { budget: app.service.memory, maxUploadBytes: config.maxUploadBytes, timeoutMs: config.requestTimeoutMs, maxWaitMs: config.admissionWaitMs }),
      schema: {
        summary: 'Classify one image',
        description:
          'Send the image as multipart/form-data field `image` (`curl -F image=@dog.jpg`) or as the raw body with `Content-Type: image/jpeg` (png, webp, gif, tiff, avif). Returns the top-k classes of the model `?model=` names (default: MODEL_NAME, or the only model), best first.',
        tags: ['classification'],
        querystring: topkQuery,
        consumes: ['multipart/form-data', 'image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/tiff', 'image/avif', 'application/octet-stream'],
        response: { 200: { $ref: 'PredictResponse#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const image = await readImage(request);
      // The body is complete: now it competes for a slot (503 queue_full), then for memory and a
      // decode slot in its cost lane (503 memory_busy / decoder_busy, 413 when it can never fit).
      // The model's serving version is pinned now: a version swap lets this request finish on it.
      const { model, release } = app.service.admit(1, { name: request.query.model });
      reply.raw.once('close', release);
      const result = await untilAborted(model.classify(image, request.query.topk, request.deadline, request.deadlineAt), request.deadline);
      const total = reply.elapsedTime;
      void reply.header('server-timing', `preprocess;dur=${result.timings.preprocessMs.toFixed(1)}, inference;dur=${result.timings.inferenceMs.toFixed(1)}`);
      return {
        success: true,
        predictions: result.predictions,
        model: { name: model.descriptor.name, version: model.descriptor.version, engine: model.engine.engine },
        image: result.source,
        timings: { preprocess_ms: round(result.timings.preprocessMs), inference_ms: round(result.timings.inferenceMs), total_ms: round(total) },
      };
    },
  );
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
