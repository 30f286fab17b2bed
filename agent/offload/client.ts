// The agent's HTTP client of `edgewatt serve`: one keep-alive connection (the agent's queue sends
// one request at a time), raw float32 tensor bytes in, the server's JSON answer out, a deadline on
// every request, and the bytes each request moved counted twice — the HTTP bodies (application
// layer) and the TCP socket's counters (headers, TLS records and handshakes included). For TLS the
// TCP socket is made here and handed to tls.connect, because a TLSSocket's own counters count
// plaintext. Never throws for a failed request: the exchange says what happened (outcome.ts).

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { SERVE_HEADERS } from '../../protocol/serve-answer.js';
import { type ServerAnswer, serverAnswerProblem } from './answer.js';
import { type OffloadOutcome, OffloadTimeoutError, outcomeOfError, outcomeOfStatus } from './outcome.js';
import { type SocketCounts, SocketLedger } from './socket-bytes.js';

export interface OffloadClientOptions {
  /** `http(s)://host:port` of `edgewatt serve`; the request goes to `/v1/infer` under it. */
  serverUrl: string;
  /** Bearer token the server knows this device by (absent: a server run with --insecure-no-auth). */
  token?: string | undefined;
  device: string;
  /** Longest a request may take, connection and answer included. */
  timeoutMs: number;
  /** PEM text of the CA that signed the server's certificate (https only; default: the system's). */
  ca?: string | undefined;
}

/** One request and what became of it. */
export interface OffloadExchange {
  outcome: OffloadOutcome;
  /** Absent when no answer arrived. */
  httpStatus?: number;
  /** The server's answer (outcome ok only). */
  answer?: ServerAnswer;
  /** Why it failed, one line, for logs. */
  error?: string;
  /** From a 429/503 answer's Retry-After, seconds. */
  retryAfterS?: number;
  /** HTTP bodies: the tensor sent, the answer read (as far as it got), bytes. */
  requestBytes: number;
  responseBytes: number;
  /** On the TCP socket during this request: headers, TLS and a new connection's handshake included. */
  socketBytesSent: number;
  socketBytesReceived: number;
  /** Monotonic clock just before the request was written and just after the answer was read. */
  startNs: bigint;
  endNs: bigint;
  /** Why the first attempt failed, when the request went a second time on a fresh connection. */
  retriedAfter?: string;
}

/** One attempt of a request: the exchange without its clock, and whether it may go once more. */
type Attempt = Omit<OffloadExchange, 'startNs' | 'endNs' | 'retriedAfter'> & { retryable: boolean };

/** Counters of the TCP socket under each (TLS) socket the agent made. */
const tcpOf = new WeakMap<object, net.Socket>();

/** An https.Agent that builds the TCP socket itself, so its counters see the TLS bytes. */
class CountingHttpsAgent extends https.Agent {
  override createConnection(options: tls.ConnectionOptions, _callback?: unknown): Duplex {
    const tcp = net.connect({ host: options.host ?? 'localhost', port: options.port ?? 443 });
    const socket = tls.connect({ ...options, socket: tcp });
    tcpOf.set(socket, tcp);
    return socket;
  }
}

export class OffloadClient {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly ledger = new SocketLedger();
  /** Requests sent a second time after a reused connection failed under them (see send()). */
  retries = 0;

  constructor(private readonly options: OffloadClientOptions) {
    this.url = new URL(
      'v1/infer',
      options.serverUrl.endsWith('/') ? options.serverUrl : `${options.serverUrl}/`,
    );
    // One socket: the queue sends one request at a time, and the socket's counters then belong to it.
    this.agent =
      this.url.protocol === 'https:'
        ? new CountingHttpsAgent({
            keepAlive: true,
            maxSockets: 1,
            ...(options.ca === undefined ? {} : { ca: options.ca }),
          })
        : new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  /** The server URL this client was made for. */
  get serverUrl(): string {
    return this.options.serverUrl;
  }

  /**
   * Sends `values` (float32, shape `[count, ...inputShape]`) and reads the answer, within the
   * deadline. A request that failed on a REUSED keep-alive socket before any byte of an answer
   * came back is sent once more on a fresh connection, as Node's and undici's HTTP clients do:
   * the server closed the idle connection while the request was on its way, and so never saw it
   * (a reused socket is the only case where that race is expected; a fresh connection that fails
   * is the server's doing). Both attempts' socket bytes, and the time of both, are the exchange's.
   */
  async send(values: Float32Array, shape: readonly number[], requestId: string): Promise<OffloadExchange> {
    const body = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const count = shape[0] ?? 1;
    const startNs = process.hrtime.bigint();
    const deadlineMs = performance.now() + this.options.timeoutMs;
    const first = await this.attempt(body, shape, count, requestId, this.options.timeoutMs);
    let result: Attempt = first;
    const leftMs = deadlineMs - performance.now();
    if (first.retryable && leftMs > 0) {
      const second = await this.attempt(body, shape, count, requestId, leftMs);
      result = {
        ...second,
        socketBytesSent: first.socketBytesSent + second.socketBytesSent,
        socketBytesReceived: first.socketBytesReceived + second.socketBytesReceived,
      };
      this.retries++;
    }
    const { retryable: _retryable, ...exchange } = result;
    return {
      ...exchange,
      ...(result === first ? {} : { retriedAfter: first.error ?? first.outcome }),
      startNs,
      endNs: process.hrtime.bigint(),
    };
  }

  /** One request on whichever connection the agent hands out, within `timeoutMs`. */
  private attempt(
    body: Uint8Array,
    shape: readonly number[],
    count: number,
    requestId: string,
    timeoutMs: number,
  ): Promise<Attempt> {
    const request = (this.url.protocol === 'https:' ? https : http).request(this.url, {
      method: 'POST',
      agent: this.agent,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': body.byteLength,
        [SERVE_HEADERS.dtype]: 'float32',
        [SERVE_HEADERS.shape]: shape.join(','),
        [SERVE_HEADERS.device]: this.options.device,
        [SERVE_HEADERS.requestId]: requestId,
        // Every input's scores, not only the first's (an older server ignores the header).
        [SERVE_HEADERS.predictions]: 'all',
        ...(this.options.token === undefined ? {} : { authorization: `Bearer ${this.options.token}` }),
      },
    });
    return new Promise<Attempt>((resolve) => {
      let socket: net.Socket | undefined;
      let before: SocketCounts = { sent: 0, received: 0 };
      let responseBytes = 0;
      let answered = false;
      let settled = false;
      const finish = (fields: Omit<Attempt, keyof ReturnType<typeof counts> | 'retryable'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const measured = counts();
        // Nothing of an answer came back on a connection that had served a request before.
        const retryable =
          fields.outcome === 'connection-reset' &&
          request.reusedSocket &&
          !answered &&
          measured.socketBytesReceived === 0;
        resolve({ ...fields, ...measured, retryable });
      };
      const counts = () => {
        const delta = socket === undefined ? { sent: 0, received: 0 } : this.ledger.since(socket, before);
        return {
          requestBytes: body.byteLength,
          responseBytes,
          socketBytesSent: delta.sent,
          socketBytesReceived: delta.received,
        };
      };
      const timer = setTimeout(
        () => request.destroy(new OffloadTimeoutError(`no answer within ${this.options.timeoutMs} ms`)),
        timeoutMs,
      );
      request.on('socket', (assigned: net.Socket) => {
        socket = tcpOf.get(assigned) ?? assigned;
        before = this.ledger.start(socket);
      });
      request.on('error', (error) => finish({ outcome: outcomeOfError(error), error: error.message }));
      request.on('response', (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => {
          responseBytes += chunk.byteLength;
          chunks.push(chunk);
        });
        // A cut answer: 'aborted' then an ECONNRESET 'error' on the response (Node ≥ 16).
        response.on('error', (error) =>
          finish({
            outcome: outcomeOfError(error),
            httpStatus: response.statusCode ?? 0,
            error: error.message,
          }),
        );
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const outcome = outcomeOfStatus(status);
          const retryAfter = Number(response.headers['retry-after']);
          const retry = Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterS: retryAfter } : {};
          const text = Buffer.concat(chunks).toString('utf8');
          if (outcome !== 'ok')
            return finish({ outcome, httpStatus: status, error: firstLine(text, status), ...retry });
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return finish({ outcome: 'http-error', httpStatus: status, error: 'the answer is not JSON' });
          }
          const problem = serverAnswerProblem(parsed, count);
          if (problem !== null)
            return finish({ outcome: 'http-error', httpStatus: status, error: `the answer ${problem}` });
          finish({ outcome: 'ok', httpStatus: status, answer: parsed as ServerAnswer });
        });
      });
      request.end(body);
    });
  }

  /** Closes the keep-alive connection. */
  close(): void {
    this.agent.destroy();
  }
}

/** The server's error message (JSON `message`, else the text), one line, for the log. */
function firstLine(text: string, status: number): string {
  let message = text;
  try {
    const json = JSON.parse(text) as { message?: unknown };
    if (typeof json.message === 'string') message = json.message;
  } catch {
    // not JSON: the text itself
  }
  const line = message.split('\n')[0]?.slice(0, 200) ?? '';
  return `HTTP ${status}${line === '' ? '' : `: ${line}`}`;
}
