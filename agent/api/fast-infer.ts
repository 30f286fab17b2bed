// The fast path of POST /v1/infer for raw tensor bodies: node:http hands such a request straight to
// this handler, below fastify's routing, hooks and body parsing (fastify cost ~30 µs of a ~0.3 ms
// request on this VM, issue 14). It takes only POST /v1/infer (no query) with Content-Type exactly
// application/octet-stream and a Content-Length; everything else (JSON, images, other routes,
// chunked bodies, a closing API) goes to fastify. It runs the route's checks in the route's order
// with the same answers (infer-reply.ts): the token, the body limit, the body's dtype, shape and
// size, the queue. test/agent/api-fast-path.int.test.ts sends the same requests down both paths.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorCodes } from 'fastify';
import { logger } from '../../common/logger.js';
import { type DecodedInput, InputError } from '../../runtime/decode.js';
import type { RequestBodyDecoder } from '../../runtime/request-body.js';
import type { Agent } from '../agent.js';
import {
  type ApiReply,
  errorReply,
  type InferCall,
  inputRefusal,
  JSON_TYPE,
  refusal,
} from './infer-reply.js';
import { type TokenCheck, UNAUTHORIZED_MESSAGE } from './token.js';

const log = logger('agent.api');

const OCTET_STREAM = 'application/octet-stream';
const EMPTY = new Uint8Array(0);

/** How many POST /v1/infer requests each path took (GET /v1/status says it). */
export interface InferPathStats {
  /** Every request the fast path took, answered or refused. */
  fastPath: number;
  /** Those fastify's route handled (one refused before it, by the token or the body limit, is not counted). */
  routed: number;
}

/** Writes a reply with the headers fastify writes for it, in its order. */
export function writeReply(res: ServerResponse, reply: ApiReply): void {
  const headers: string[] = [];
  if (reply.close === true) headers.push('connection', 'close');
  if (reply.retryAfterS !== undefined) headers.push('retry-after', String(reply.retryAfterS));
  headers.push('content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(reply.json)));
  res.writeHead(reply.status, headers);
  res.end(reply.json);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : value?.[0];
}

const logWriteFailure = (error: unknown) => log.error({ err: error }, 'could not write an API answer');

/**
 * A body being read: its chunks so far. The request's listeners are shared functions that find it
 * on the request (a closure made per request costs ~0.5 µs each where tsx names functions).
 */
interface BodyRead {
  path: InferFastPath;
  res: ServerResponse;
  first: Buffer | undefined;
  chunks: Buffer[] | undefined;
}
const READ = Symbol('edgewatt fast-path body');
type ReadRequest = IncomingMessage & { [READ]?: BodyRead | undefined };

function onData(this: ReadRequest, chunk: Buffer): void {
  const read = this[READ];
  if (read === undefined) return;
  if (read.first === undefined) read.first = chunk;
  else if (read.chunks === undefined) read.chunks = [read.first, chunk];
  else read.chunks.push(chunk);
}

function stopReading(req: ReadRequest): BodyRead | undefined {
  const read = req[READ];
  req[READ] = undefined;
  req.off('data', onData);
  req.off('end', onEnd);
  req.off('error', onError);
  return read;
}

function onEnd(this: ReadRequest): void {
  const read = stopReading(this);
  if (read === undefined) return;
  // A body chunk is node's own copy of what the socket read (node_http_parser's on_body), not
  // a view of a reused buffer: one chunk is the body as it is, as fastify's copy would be.
  const body = read.chunks === undefined ? (read.first ?? EMPTY) : Buffer.concat(read.chunks);
  read.path.answer(this, read.res, body).catch(logWriteFailure);
}

function onError(this: ReadRequest, error: Error & { statusCode?: number }): void {
  const read = stopReading(this);
  if (read === undefined) return;
  // fastify's body reader: a broken body is a 400 unless it says otherwise, and closes.
  if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
  writeReply(read.res, { ...errorReply(error), close: true });
}

export class InferFastPath {
  /** Set when the API starts closing: from then on fastify answers (503, as for any route). */
  closing = false;
  private readonly unauthorized = refusal(401, 'unauthorized', UNAUTHORIZED_MESSAGE);
  private readonly tooLarge: ApiReply;

  constructor(
    private readonly agent: Agent,
    private readonly call: InferCall,
    private readonly decoder: RequestBodyDecoder,
    private readonly token: TokenCheck | undefined,
    private readonly bodyLimitBytes: number,
    private readonly stats: InferPathStats,
  ) {
    // fastify's own error, so that its message stays the one the route gives.
    this.tooLarge = { ...errorReply(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE()), close: true };
  }

  /** Whether the fast path answers `req` (else fastify does). */
  takes(req: IncomingMessage): boolean {
    if (this.closing || req.url !== '/v1/infer' || req.method !== 'POST') return false;
    const { headers } = req;
    return (
      headers['content-type'] === OCTET_STREAM &&
      headers['content-length'] !== undefined &&
      headers['transfer-encoding'] === undefined
    );
  }

  handle(req: ReadRequest, res: ServerResponse): void {
    this.stats.fastPath++;
    // The route's order: the token before the body is read (fastify's onRequest hook), then the
    // limit from Content-Length alone (its body parser), with Connection: close as it answers.
    const refused =
      this.token !== undefined && !this.token.allows(req.headers.authorization)
        ? this.unauthorized
        : Number(req.headers['content-length']) > this.bodyLimitBytes
          ? this.tooLarge
          : undefined;
    if (refused !== undefined) {
      writeReply(res, refused);
      return;
    }
    // node:http enforces Content-Length, so the body is exactly that long: fastify's checks of
    // the bytes received against the limit and the length cannot fail here.
    req[READ] = { path: this, res, first: undefined, chunks: undefined };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  }

  /** Decodes the body and answers, as the route does once fastify has read the body. */
  async answer(req: IncomingMessage, res: ServerResponse, body: Uint8Array): Promise<void> {
    let input: DecodedInput;
    try {
      input = this.decoder.decodeRaw(
        body,
        header(req, 'x-edgewatt-dtype'),
        header(req, 'x-edgewatt-shape'),
        this.agent.inputShape,
      );
    } catch (error) {
      writeReply(res, error instanceof InputError ? inputRefusal(error) : errorReply(error));
      return;
    }
    let reply: ApiReply;
    try {
      reply = await this.call.run({ input }, req.socket, res);
    } catch (error) {
      reply = errorReply(error);
    }
    writeReply(res, reply);
  }
}
