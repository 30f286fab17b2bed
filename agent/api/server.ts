// The agent's local inference API (fastify): POST /v1/infer runs the model on the application's
// input and answers with the prediction, the record's seq, latency and the energy of that very
// inference; POST /v1/feedback gives a label later; GET /v1/status is the agent's summary. Every
// request goes through the agent's queue; every failure is an answer (400, 401, 404, 429), never a
// crash. Documented in docs/agent-api.md.

import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerFactory } from 'fastify';
import { logger } from '../../common/logger.js';
import { InputError } from '../../runtime/decode.js';
import { RequestBodyDecoder, type RequestInput } from '../../runtime/request-body.js';
import type { Agent } from '../agent.js';
import { UnknownRecordError } from '../serve/answers.js';
import { statusText } from '../serve/summary.js';
import { InferFastPath, type InferPathStats } from './fast-infer.js';
import { type ApiReply, errorReply, InferCall, inputRefusal, JSON_TYPE } from './infer-reply.js';
import { type ApiListen, checkApiExposure } from './listen.js';
import { TokenCheck, UNAUTHORIZED_MESSAGE } from './token.js';

const log = logger('agent.api');

/** Largest request body, bytes: a JPEG photo, or a float32 tensor of 2 M values. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
const BINARY_TYPES = ['application/octet-stream', 'image/png', 'image/jpeg'];

export interface ApiOptions {
  listen: ApiListen;
  /** Bearer token every route requires when set (required beyond loopback). */
  token?: string | undefined;
  /** Raw tensor requests below fastify (fast-infer.ts); off only to compare the paths in tests. */
  fastPath?: boolean;
}

/** The API's fastify instance, not listening yet, and what it counts. */
export interface BuiltApi {
  app: FastifyInstance;
  stats: { infer: InferPathStats };
}

export interface RunningApi extends BuiltApi {
  /** http://host:port, or unix:<path>. */
  address: string;
  close(): Promise<void>;
}

function reject(reply: FastifyReply, status: number, error: string, message: string, extra: object = {}) {
  return reply.code(status).send({ error, message, ...extra });
}

/** Sends an ApiReply as fastify: the same headers, in the same order, as writeReply() below it. */
function send(reply: FastifyReply, answer: ApiReply): FastifyReply {
  if (answer.close === true) void reply.header('connection', 'close');
  if (answer.retryAfterS !== undefined) void reply.header('retry-after', String(answer.retryAfterS));
  return reply.code(answer.status).type(JSON_TYPE).send(answer.json);
}

/** Starts the API: refuses an exposed address without a token, builds the routes and listens. */
export async function startApi(agent: Agent, options: ApiOptions): Promise<RunningApi> {
  checkApiExposure(options.listen, options.token);
  return listenApi(buildApi(agent, options), options.listen, options.token !== undefined);
}

/**
 * The API's fastify instance with its routes, hooks and parsers, and the fast path in front of
 * them, not listening yet (bench:api adds trivial routes to this very instance to measure what
 * fastify itself costs).
 */
export function buildApi(agent: Agent, options: Pick<ApiOptions, 'token' | 'fastPath'>): BuiltApi {
  const stats = { infer: { fastPath: 0, routed: 0 } };
  const token = options.token === undefined ? undefined : new TokenCheck(options.token);
  // One decoder and one answer writer for both paths: the raw dtype and shape parsed once.
  const inputs = new RequestBodyDecoder({ viewBody: true });
  const call = new InferCall(agent);
  const fast =
    options.fastPath === false
      ? undefined
      : new InferFastPath(agent, call, inputs, token, MAX_BODY_BYTES, stats.infer);
  // fastify's own server (lib/server.js: its timeouts), with the fast path's requests taken first.
  const serverFactory: FastifyServerFactory = (handler, serverOptions) => {
    const server = createServer((req, res) => {
      if (fast?.takes(req) === true) fast.handle(req, res);
      else handler(req, res);
    });
    // fastify has filled in its defaults by now (keep-alive 72 s, the rest 0: node's).
    const timeouts = serverOptions as {
      keepAliveTimeout: number;
      requestTimeout: number;
      connectionTimeout: number;
      maxRequestsPerSocket: number;
    };
    server.keepAliveTimeout = timeouts.keepAliveTimeout;
    server.requestTimeout = timeouts.requestTimeout;
    server.setTimeout(timeouts.connectionTimeout);
    if (timeouts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = timeouts.maxRequestsPerSocket;
    return server;
  };
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    ...(fast === undefined ? {} : { serverFactory }),
  }) as unknown as FastifyInstance;
  if (fast !== undefined)
    // fastify answers 503 to requests that arrive while it closes: the fast path steps aside.
    app.addHook('preClose', (done) => {
      fast.closing = true;
      done();
    });
  app.addContentTypeParser(BINARY_TYPES, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // Any other type is read as bytes too, so the route can name it in a 400 (not fastify's bare 415).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  if (token !== undefined)
    app.addHook('onRequest', async (request, reply) => {
      if (!token.allows(request.headers.authorization))
        return reject(reply, 401, 'unauthorized', UNAUTHORIZED_MESSAGE);
    });

  app.post('/v1/infer', async (request, reply) => {
    stats.infer.routed++;
    let decoded: RequestInput;
    try {
      decoded = inputs.decode(request, agent.inputShape);
    } catch (error) {
      if (error instanceof InputError) return send(reply, inputRefusal(error));
      throw error;
    }
    return send(reply, await call.run(decoded, request.raw.socket, reply.raw));
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
    if (wantsJson) return reply.send({ ...status, api: stats });
    return reply.type('text/plain; charset=utf-8').send(`${statusText(status)}\n`);
  });

  app.setErrorHandler((error, _request, reply) => send(reply, errorReply(error)));

  return { app, stats };
}

/** Listens on `listen` (a socket file left by a killed agent is replaced). */
export async function listenApi(api: BuiltApi, listen: ApiListen, token = false): Promise<RunningApi> {
  const { app } = api;
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
  return { ...api, address, close: () => app.close() };
}
