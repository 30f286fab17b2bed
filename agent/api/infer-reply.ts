// What POST /v1/infer answers, for both of its paths (the fastify route and the fast path below
// fastify, fast-infer.ts): the steps once the body is decoded (the client watch, agent.infer(),
// the answer's JSON) and every refusal as a status with its JSON text, so that a client gets the
// same answer whichever path served it.

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { logger } from '../../common/logger.js';
import type { InputError } from '../../runtime/decode.js';
import type { RequestInput } from '../../runtime/request-body.js';
import { type Agent, OffloadFailedError } from '../agent.js';
import { QueueFullError, RequestAbortedError } from '../serve/queue.js';
import { AnswerJson } from './answer-json.js';

const log = logger('agent.api');

/** The content type of every answer of the API but the human status. */
export const JSON_TYPE = 'application/json; charset=utf-8';

export interface ApiReply {
  status: number;
  /** The body, JSON text. */
  json: string;
  /** Retry-After, whole seconds (429). */
  retryAfterS?: number;
  /** Connection: close, as fastify answers a body it did not read to its end (413, a broken body). */
  close?: boolean;
}

export function refusal(status: number, error: string, message: string, extra: object = {}): ApiReply {
  return { status, json: JSON.stringify({ error, message, ...extra }) };
}

/** A body the decoder refused: 400 naming the problem class. */
export function inputRefusal(error: InputError): ApiReply {
  return refusal(400, `bad-${error.problem}`, error.message);
}

/**
 * Any other failure: a client error fastify raised (413 body too large, 400 JSON that does not
 * parse, a broken body) keeps its status; anything else is a 500 and a log line, never a crash.
 */
export function errorReply(error: unknown): ApiReply {
  const status = (error as { statusCode?: number }).statusCode;
  if (status !== undefined && status >= 400 && status < 500)
    return refusal(status, status === 413 ? 'bad-size' : 'bad-request', (error as Error).message);
  log.error({ err: error }, 'API request failed');
  return refusal(500, 'internal', 'the agent could not answer this request; it keeps running (see its log)');
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
function watchClient(socket: Socket, res: ServerResponse): { signal: AbortSignal; stop(): void } {
  const gone = new AbortController();
  const onClose = () => {
    if (!res.writableEnded) gone.abort();
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

/** Runs decoded inputs through the agent for one API. */
export class InferCall {
  private readonly answers = new AnswerJson();

  constructor(private readonly agent: Agent) {}

  /**
   * The reply to `decoded`: 200 with the answer, or 429 (queue full), 502 (offload failed), 499
   * (client gone while waiting). `socket`: the request's; `res`: its response (answered once it
   * has ended). Other failures throw.
   */
  async run(decoded: RequestInput, socket: Socket, res: ServerResponse): Promise<ApiReply> {
    const { agent } = this;
    // A client that goes away while its request waits takes it out of the queue. A request that
    // starts at once never waits, so it skips the watch (an AbortController and two socket
    // listeners a request); its client going away mid-inference costs that one inference.
    const watch = agent.queue.startsAtOnce && !clientGone(socket) ? undefined : watchClient(socket, res);
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
      return { status: 200, json: this.answers.write(answer) };
    } catch (error) {
      if (error instanceof QueueFullError)
        return {
          ...refusal(429, 'queue-full', error.message, { retryAfterS: error.retryAfterS }),
          retryAfterS: error.retryAfterS,
        };
      if (error instanceof OffloadFailedError)
        // The input's offload record says what happened; the answer carries its figures.
        return refusal(502, 'offload-failed', error.message, { offload: error.figures });
      if (error instanceof RequestAbortedError) {
        log.debug({ err: error.message }, 'client went away before its inference ran');
        return refusal(499, 'aborted', error.message);
      }
      throw error;
    } finally {
      watch?.stop();
    }
  }
}
