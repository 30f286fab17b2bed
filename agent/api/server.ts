// The agent's local inference API (fastify): POST /v1/infer runs the model on the application's
// input and answers with the prediction, the record's seq, latency and the energy of that very
// inference; POST /v1/feedback gives a label later; GET /v1/status is the agent's summary. Every
// request goes through the agent's queue; every failure is an answer (400, 401, 404, 429), never a
// crash. Documented in docs/agent-api.md.

import { createHash, timingSafeEqual } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { logger } from '../../common/logger.js';
import { InputError } from '../../runtime/decode.js';
import { type Agent, OffloadFailedError } from '../agent.js';
import { UnknownRecordError } from '../serve/answers.js';
import { QueueFullError, RequestAbortedError } from '../serve/queue.js';
import { statusText } from '../serve/summary.js';
import { type ApiListen, checkApiExposure } from './listen.js';
import { type RequestInput, RequestInputDecoder } from './request-input.js';

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

function reject(reply: FastifyReply, status: number, error: string, message: string, extra: object = {}) {
  return reply.code(status).send({ error, message, ...extra });
}

/** The options of an inference that needs neither a label nor a watch (shared: agent.infer only reads them). */
const FROM_HTTP = Object.freeze({ source: 'http' as const });

/**
 * An HTTP/1.1 client does not half-close while it waits for its answer: the end of its stream
 * (or a reset) means it went away.
 */
function clientGone(socket: Socket): boolean {
  return socket.destroyed || socket.readableEnded;
}

/** Aborts `signal` when the request's client goes away before its answer is sent. */
function watchClient(socket: Socket, reply: FastifyReply): { signal: AbortSignal; stop(): void } {
  const gone = new AbortController();
  const onClose = () => {
    if (!reply.sent) gone.abort();
  };
  socket.once('close', onClose);
  socket.once('end', onClose);
  if (clientGone(socket)) gone.abort();
  return {
    signal: gone.signal,
    stop() {
      socket.off('close', onClose);
      socket.off('end', onClose);
    },
  };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares digests (equal lengths, constant time); the expected one is made once, not per request. */
function tokenMatches(given: string | undefined, expectedDigest: Buffer): boolean {
  return given !== undefined && timingSafeEqual(digest(given), expectedDigest);
}

/** Starts the API: refuses an exposed address without a token, builds the routes and listens. */
export async function startApi(agent: Agent, options: ApiOptions): Promise<RunningApi> {
  checkApiExposure(options.listen, options.token);
  return listenApi(buildApi(agent, options), options.listen, options.token !== undefined);
}

/**
 * The API's fastify instance with its routes, hooks and parsers, not listening yet (bench:api adds
 * a trivial route to this very instance to measure what fastify itself costs).
 */
export function buildApi(agent: Agent, options: Pick<ApiOptions, 'token'>): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES });
  app.addContentTypeParser(BINARY_TYPES, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // Any other type is read as bytes too, so the route can name it in a 400 (not fastify's bare 415).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  if (options.token !== undefined) {
    const tokenDigest = digest(options.token);
    app.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization;
      const given = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
      if (!tokenMatches(given, tokenDigest))
        return reject(
          reply,
          401,
          'unauthorized',
          "this API needs Authorization: Bearer <the agent's --api-token>",
        );
    });
  }

  const inputs = new RequestInputDecoder();
  app.post('/v1/infer', async (request, reply) => {
    let decoded: RequestInput;
    try {
      decoded = inputs.decode(request, agent.inputShape);
    } catch (error) {
      if (error instanceof InputError) return reject(reply, 400, `bad-${error.problem}`, error.message);
      throw error;
    }
    // A client that goes away while its request waits takes it out of the queue. A request that
    // starts at once never waits, so it skips the watch (an AbortController and two socket
    // listeners a request); its client going away mid-inference costs that one inference.
    const socket = request.raw.socket;
    const watch = agent.queue.startsAtOnce && !clientGone(socket) ? undefined : watchClient(socket, reply);
    try {
      const answer = await agent.infer(
        decoded.input,
        watch === undefined && decoded.label === undefined
          ? FROM_HTTP
          : {
              source: 'http',
              ...(watch === undefined ? {} : { signal: watch.signal }),
              ...(decoded.label === undefined ? {} : { label: decoded.label }),
            },
      );
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
      watch?.stop();
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

  return app;
}

/** Listens on `listen` (a socket file left by a killed agent is replaced). */
export async function listenApi(app: FastifyInstance, listen: ApiListen, token = false): Promise<RunningApi> {
  let address: string;
  if (listen.kind === 'unix') {
    rmSync(listen.path, { force: true }); // a socket left by a killed agent
    await app.listen({ path: listen.path });
    address = `unix:${listen.path}`;
  } else {
    await app.listen({ host: listen.host, port: listen.port });
    const bound = app.server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : listen.port;
    address = `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`;
  }
  log.info({ address, token }, 'local inference API listening');
  return { app, address, close: () => app.close() };
}
