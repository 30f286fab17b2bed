// The agent's local inference API (fastify): POST /v1/infer runs the model on the application's
// input and answers with the prediction, the record's seq, latency and the energy of that very
// inference; POST /v1/feedback gives a label later; GET /v1/status is the agent's summary. Every
// request goes through the agent's queue; every failure is an answer (400, 401, 404, 429), never a
// crash. Documented in docs/agent-api.md.

import { createHash, timingSafeEqual } from 'node:crypto';
import { rmSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { logger } from '../../common/logger.js';
import {
  type DecodedInput,
  decodeImageInput,
  decodeJsonInput,
  decodeRawInput,
  InputError,
  rawTensorMeta,
} from '../../runtime/decode.js';
import { type Agent, OffloadFailedError } from '../agent.js';
import { UnknownRecordError } from '../serve/answers.js';
import { QueueFullError, RequestAbortedError } from '../serve/queue.js';
import { statusText } from '../serve/summary.js';
import { type ApiListen, checkApiExposure } from './listen.js';

const log = logger('agent.api');

/** Largest request body, bytes: a JPEG photo, or a float32 tensor of 2 M values. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
const BINARY_TYPES = ['application/octet-stream', 'image/png', 'image/jpeg'];

export interface ApiOptions {
  listen: ApiListen;
  /** Bearer token every route requires when set (required beyond loopback). */
  token?: string | undefined;
}

export interface RunningApi {
  app: FastifyInstance;
  /** http://host:port, or unix:<path>. */
  address: string;
  close(): Promise<void>;
}

type Body = Buffer | Record<string, unknown> | undefined;

function reject(reply: FastifyReply, status: number, error: string, message: string, extra: object = {}) {
  return reply.code(status).send({ error, message, ...extra });
}

/** Reads dtype and shape from X-Edgewatt-Dtype / X-Edgewatt-Shape, or ?dtype=&shape=. */
function rawMeta(request: FastifyRequest): { dtype: string; shape: number[] } {
  const query = request.query as Record<string, string | undefined>;
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return rawTensorMeta(header('x-edgewatt-dtype') ?? query.dtype, header('x-edgewatt-shape') ?? query.shape);
}

function decodeBody(
  request: FastifyRequest,
  inputShape: readonly number[],
): { input: DecodedInput; label?: number } {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const body = request.body as Body;
  if (type === 'application/json') {
    const json = body as { input?: unknown; label?: unknown } | undefined;
    if (json === undefined || typeof json !== 'object' || Array.isArray(json) || !('input' in json))
      throw new InputError(
        'format',
        'a JSON body is an object with "input": nested arrays of the model\'s shape',
      );
    const label = json.label;
    return {
      input: decodeJsonInput(json.input, inputShape),
      ...(typeof label === 'number' && Number.isInteger(label) && label >= 0 ? { label } : {}),
    };
  }
  const bytes =
    body instanceof Buffer ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : undefined;
  if (bytes === undefined || bytes.byteLength === 0)
    throw new InputError('size', 'the request body is empty');
  if (type === 'image/png' || type === 'image/jpeg') return { input: decodeImageInput(bytes, inputShape) };
  if (type === 'application/octet-stream') {
    const { dtype, shape } = rawMeta(request);
    return { input: decodeRawInput(bytes, dtype, shape, inputShape) };
  }
  throw new InputError(
    'format',
    `content type ${JSON.stringify(type || '(none)')} is not accepted: use application/json, application/octet-stream (raw tensor), image/png or image/jpeg`,
  );
}

function tokenMatches(given: string | undefined, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}

export async function startApi(agent: Agent, options: ApiOptions): Promise<RunningApi> {
  checkApiExposure(options.listen, options.token);
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES });
  app.addContentTypeParser(BINARY_TYPES, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // Any other type is read as bytes too, so the route can name it in a 400 (not fastify's bare 415).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  if (options.token !== undefined) {
    const token = options.token;
    app.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization;
      const given = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
      if (!tokenMatches(given, token))
        return reject(
          reply,
          401,
          'unauthorized',
          "this API needs Authorization: Bearer <the agent's --api-token>",
        );
    });
  }

  app.post('/v1/infer', async (request, reply) => {
    let decoded: ReturnType<typeof decodeBody>;
    try {
      decoded = decodeBody(request, agent.inputShape);
    } catch (error) {
      if (error instanceof InputError) return reject(reply, 400, `bad-${error.problem}`, error.message);
      throw error;
    }
    // A client that goes away while its request waits takes it out of the queue. A request that
    // starts at once never waits, so it skips the watch (an AbortController and two socket
    // listeners a request); its client going away mid-inference costs that one inference.
    // An HTTP/1.1 client does not half-close while it waits for its answer: the end of its
    // stream (or a reset) means it went away.
    const socket = request.raw.socket;
    const alreadyGone = socket.destroyed || socket.readableEnded;
    const gone = agent.queue.startsAtOnce && !alreadyGone ? undefined : new AbortController();
    const onClose = () => {
      if (!reply.sent) gone?.abort();
    };
    if (gone !== undefined) {
      socket.once('close', onClose);
      socket.once('end', onClose);
      if (alreadyGone) gone.abort();
    }
    try {
      const answer = await agent.infer(decoded.input, {
        source: 'http',
        ...(gone === undefined ? {} : { signal: gone.signal }),
        ...(decoded.label === undefined ? {} : { label: decoded.label }),
      });
      return reply.send(answer);
    } catch (error) {
      if (error instanceof QueueFullError) {
        void reply.header('retry-after', String(error.retryAfterS));
        return reject(reply, 429, 'queue-full', error.message, { retryAfterS: error.retryAfterS });
      }
      if (error instanceof OffloadFailedError)
        // The input's offload record says what happened; the answer carries its figures.
        return reject(reply, 502, 'offload-failed', error.message, { offload: error.figures });
      if (error instanceof RequestAbortedError) {
        log.debug({ err: error.message }, 'client went away before its inference ran');
        return reject(reply, 499, 'aborted', error.message);
      }
      throw error;
    } finally {
      socket.off('close', onClose);
      socket.off('end', onClose);
    }
  });

  app.post('/v1/feedback', async (request, reply) => {
    const body = request.body as { seq?: unknown; label?: unknown } | undefined;
    const { seq, label } = body ?? {};
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)
      return reject(
        reply,
        400,
        'bad-seq',
        `seq is ${JSON.stringify(seq)}; give the seq an /v1/infer answer carried`,
      );
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= 2 ** 31)
      return reject(
        reply,
        400,
        'bad-label',
        `label is ${JSON.stringify(label)}; give the true class index (an integer ≥ 0)`,
      );
    try {
      return reply.send(agent.feedback(seq, label));
    } catch (error) {
      if (error instanceof UnknownRecordError) return reject(reply, 404, 'unknown-seq', error.message);
      throw error;
    }
  });

  app.get('/v1/status', async (request, reply) => {
    const status = agent.status();
    const wantsJson =
      (request.query as { format?: string }).format === 'json' ||
      (request.headers.accept ?? '').includes('application/json');
    if (wantsJson) return reply.send(status);
    return reply.type('text/plain; charset=utf-8').send(`${statusText(status)}\n`);
  });

  app.setErrorHandler((error, _request, reply) => {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return reject(reply, status, status === 413 ? 'bad-size' : 'bad-request', (error as Error).message);
    log.error({ err: error }, 'API request failed');
    return reject(
      reply,
      500,
      'internal',
      'the agent could not answer this request; it keeps running (see its log)',
    );
  });

  let address: string;
  if (options.listen.kind === 'unix') {
    rmSync(options.listen.path, { force: true }); // a socket left by a killed agent
    await app.listen({ path: options.listen.path });
    address = `unix:${options.listen.path}`;
  } else {
    await app.listen({ host: options.listen.host, port: options.listen.port });
    const bound = app.server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : options.listen.port;
    address = `http://${options.listen.host.includes(':') ? `[${options.listen.host}]` : options.listen.host}:${port}`;
  }
  log.info({ address, token: options.token !== undefined }, 'local inference API listening');
  return { app, address, close: () => app.close() };
}
