// The HTTP face of `edgewatt serve` (fastify): POST /v1/infer (device credentials, bounded body,
// the request through the dynamic batcher, the answer of protocol/serve-answer.ts), GET /v1/status
// and GET /metrics. Every refusal is an answer that names the problem: 400 bad input (its class),
// 401 credentials, 413 body too large, 429 queue full with Retry-After, 503 while loading or
// stopping with Retry-After. Documented in docs/offload.md ("Server").

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { logger } from '../common/logger.js';
import { SERVE_HEADERS, type ServeAnswer } from '../protocol/serve-answer.js';
import { InputError } from '../runtime/decode.js';
import { RequestBodyDecoder } from '../runtime/request-body.js';
import type { Batched, DynamicBatcher } from './batcher.js';
import type { DeviceCredentials } from './credentials.js';
import type { InferItem, ItemResult } from './engine.js';
import { QueueFullError, RequestAbortedError, ServerStoppingError } from './errors.js';
import type { RequestOutcome, ServeMetrics } from './metrics.js';

const log = logger('serve.http');
const BINARY_TYPES = ['application/octet-stream', 'image/png', 'image/jpeg'];
/** Longest X-Edgewatt-Request-Id echoed back. */
const MAX_REQUEST_ID_CHARS = 128;

export type ServeState = 'loading' | 'ready' | 'stopping';

/** What the routes need of the running server. */
export interface ServeContext {
  state(): ServeState;
  /** The model's input shape and output size once loaded. */
  model(): { inputShape: readonly number[]; outputSize: number } | null;
  batcher(): DynamicBatcher<InferItem, ItemResult> | null;
  credentials: DeviceCredentials | null;
  identity: ServeAnswer['server'];
  provenance(): { provenance: ServeAnswer['energy']['provenance']; method: string } | null;
  metrics: ServeMetrics;
  status(): object;
  renderMetrics(): string;
}

function reject(reply: FastifyReply, status: number, error: string, message: string, extra: object = {}) {
  return reply.code(status).send({ error, message, ...extra });
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function buildServeApp(
  context: ServeContext,
  options: { maxBodyBytes: number; https?: { cert: Buffer; key: Buffer } },
): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: options.maxBodyBytes,
    ...(options.https === undefined ? {} : { https: options.https }),
  }) as unknown as FastifyInstance;
  app.addContentTypeParser(BINARY_TYPES, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // Any other type is read as bytes too, so the route can name it in a 400 (not fastify's bare 415).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const count = (outcome: RequestOutcome) => context.metrics.count(outcome);
  // JSON may say "inputs"; the raw body is copied (the batcher lays inputs end to end anyway).
  const inputs = new RequestBodyDecoder({ inputsKey: true });
  /** Arrival of each request (its first byte's turn on the event loop), ms. */
  const arrivedMs = new WeakMap<FastifyRequest, number>();
  app.addHook('onRequest', async (request) => {
    arrivedMs.set(request, performance.now());
  });

  // Credentials before the body is read: an unknown caller does not get to upload 8 MiB.
  app.addHook('onRequest', async (request, reply) => {
    // The route matched, not the raw URL: `/v1/%69nfer` reaches the same handler under another URL.
    if (request.method !== 'POST' || request.routeOptions.url !== '/v1/infer') return;
    if (context.credentials === null) return;
    const result = context.credentials.check(
      request.headers.authorization,
      header(request, SERVE_HEADERS.device),
    );
    if (!result.ok) {
      count('unauthorized');
      void reply.header('www-authenticate', 'Bearer realm="edgewatt serve"');
      return reject(reply, 401, result.failure, result.message);
    }
  });

  app.post('/v1/infer', async (request, reply) => {
    const model = context.model();
    const batcher = context.batcher();
    const state = context.state();
    if (state !== 'ready' || model === null || batcher === null) {
      count('unavailable');
      void reply.header('retry-after', '1');
      return reject(
        reply,
        503,
        state === 'stopping' ? 'stopping' : 'loading',
        state === 'stopping' ? 'the server is stopping' : 'the server is loading its model; retry shortly',
      );
    }
    let input: InferItem;
    try {
      input = inputs.decode(request, model.inputShape).input;
    } catch (error) {
      if (error instanceof InputError) {
        count('bad-input');
        return reject(reply, 400, `bad-${error.problem}`, error.message);
      }
      throw error;
    }
    const requestId = header(request, SERVE_HEADERS.requestId)?.slice(0, MAX_REQUEST_ID_CHARS) ?? null;
    // A client that goes away while its request waits takes it out of the queue.
    const gone = new AbortController();
    const socket = request.raw.socket;
    const onClose = () => {
      if (!reply.sent) gone.abort();
    };
    socket.once('close', onClose);
    socket.once('end', onClose);
    let batched: Batched<ItemResult>;
    try {
      batched = await batcher.submit(input, gone.signal);
    } catch (error) {
      if (error instanceof QueueFullError) {
        count('queue-full');
        void reply.header('retry-after', String(error.retryAfterS));
        return reject(reply, 429, 'queue-full', error.message, { retryAfterS: error.retryAfterS });
      }
      if (error instanceof ServerStoppingError) {
        count('unavailable');
        void reply.header('retry-after', '1');
        return reject(reply, 503, 'stopping', error.message);
      }
      if (error instanceof RequestAbortedError) {
        count('aborted');
        return reject(reply, 499, 'aborted', error.message);
      }
      throw error;
    } finally {
      socket.off('close', onClose);
      socket.off('end', onClose);
    }
    const { result } = batched;
    const meter = context.provenance();
    const prediction = Array.from(result.output.subarray(0, model.outputSize));
    const latencyS = (performance.now() - (arrivedMs.get(request) ?? performance.now())) / 1000;
    const all = header(request, SERVE_HEADERS.predictions)?.toLowerCase() === 'all';
    const answer: ServeAnswer = {
      prediction,
      ...(all ? { predictions: rowsOf(result.output, input.count, model.outputSize) } : {}),
      classIndex: prediction.indexOf(Math.max(...prediction)),
      requestId,
      server: context.identity,
      batch: { size: batched.batchSize, queueS: batched.queueMs / 1000, computeS: result.computeS },
      energy: {
        requestJ: result.energy.requestJ,
        uncertaintyJ: result.energy.uncertaintyJ,
        idleShareJ: result.energy.idleShareJ,
        provenance: meter?.provenance ?? 'estimated',
        method: meter?.method ?? 'ESTIMATE',
      },
      latencyS,
    };
    count('ok');
    context.metrics.latencyS.observe(latencyS);
    context.metrics.queueS.observe(batched.queueMs / 1000);
    if (requestId !== null) void reply.header(SERVE_HEADERS.requestId, requestId);
    return reply.send(answer);
  });

  app.get('/v1/status', async (_request, reply) => reply.send(context.status()));

  app.get('/metrics', async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(context.renderMetrics()),
  );

  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 413) {
      count('too-large');
      return reject(reply, 413, 'bad-size', `${(error as Error).message} (the server's --max-body-bytes)`);
    }
    if (status !== undefined && status >= 400 && status < 500) {
      if (request.url.startsWith('/v1/infer')) count('bad-input');
      return reject(reply, status, 'bad-request', (error as Error).message);
    }
    count('error');
    log.error({ err: error }, 'inference request failed');
    return reject(
      reply,
      500,
      'internal',
      'the server could not answer this request; it keeps running (see its log)',
    );
  });
  return app;
}

/** The request's outputs (`count × outputSize`), one row of class scores per input. */
function rowsOf(output: Float32Array, count: number, outputSize: number): number[][] {
  return Array.from({ length: count }, (_, k) =>
    Array.from(output.subarray(k * outputSize, (k + 1) * outputSize)),
  );
}
