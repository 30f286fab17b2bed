// Delivers a burst of HTTP(S) requests to a server process so that it reads every one of them in a
// single turn of its event loop: the arrangement a test needs to assert what a server does with
// requests that arrive together (a full queue refuses the extra ones, inputs share a batch).
// Requests merely sent at once reach a loaded server spread over many turns, each finding room.
//
// How: each request gets its own keep-alive connection, opened and used once (a GET) while the
// server runs, so the server has accepted it and reads from it. Then the server is frozen
// (SIGSTOP), every request is written whole into the kernel's socket buffers, and the server is
// thawed (SIGCONT): its next poll finds all the connections readable at once. A frozen process is
// what a server looks like to its clients while a synchronous model call holds its event loop.

import type { ChildProcess } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface BurstRequest {
  url: string;
  body: Buffer;
  headers?: Record<string, string>;
  /** CA to trust for https. */
  ca?: Buffer;
}

export interface BurstAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or `{ text }` when it is not JSON. */
  body: Record<string, unknown>;
  /** performance.now() when the answer had fully arrived. */
  atMs: number;
}

export interface PreparedBurst {
  /**
   * Freezes the server, writes every request, thaws it; resolves once all are written, with one
   * promise per request for its answer (in the order given).
   */
  send(): Promise<Promise<BurstAnswer>[]>;
  /** Closes the connections (call after the answers, or when the test gives up). */
  close(): void;
}

interface Connection {
  agent: HttpAgent;
  request: BurstRequest;
}

function exchange(
  connection: Connection,
  method: 'GET' | 'POST',
  url: string,
  body: Buffer | undefined,
  onWritten?: (error?: Error) => void,
): Promise<BurstAnswer> {
  const { agent, request } = connection;
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(url, {
      method,
      agent,
      ...(request.ca === undefined ? {} : { ca: request.ca }),
      headers: {
        ...request.headers,
        ...(body === undefined ? {} : { 'content-length': String(body.length) }),
      },
    });
    req.on('socket', () => {
      // A burst request on a fresh connection would be accepted a turn after the others are read.
      if (method === 'POST' && !req.reusedSocket)
        req.destroy(new Error('the burst request did not reuse its prepared connection'));
    });
    req.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          parsed = { text };
        }
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: parsed,
          atMs: performance.now(),
        });
      });
    });
    req.on('error', (error) => {
      onWritten?.(error);
      reject(error);
    });
    req.end(body, () => onWritten?.());
  });
}

/**
 * Opens one used keep-alive connection per request (a GET of `warmUpPath` on the request's origin
 * with its headers: any answer will do). `server` is the process answering on those URLs.
 */
export async function prepareBurst(
  server: ChildProcess,
  requests: readonly BurstRequest[],
  warmUpPath = '/v1/status',
): Promise<PreparedBurst> {
  const connections: Connection[] = requests.map((request) => ({
    request,
    agent: request.url.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true, maxSockets: 1 })
      : new HttpAgent({ keepAlive: true, maxSockets: 1 }),
  }));
  const close = () => {
    for (const { agent } of connections) agent.destroy();
  };
  try {
    await Promise.all(
      connections.map((c) => exchange(c, 'GET', new URL(warmUpPath, c.request.url).href, undefined)),
    );
  } catch (error) {
    close();
    throw error;
  }
  return {
    close,
    async send() {
      const pid = server.pid;
      // A server killed by a signal has no exit code, only a signal code: its pid is free for the
      // system to give to another process, which SIGSTOP must never reach.
      if (pid === undefined || server.exitCode !== null || server.signalCode !== null)
        throw new Error('the server process is not running');
      const answers: Promise<BurstAnswer>[] = [];
      process.kill(pid, 'SIGSTOP');
      try {
        const written = connections.map(
          (c) =>
            new Promise<void>((resolve, reject) => {
              const answer = exchange(c, 'POST', c.request.url, c.request.body, (error) =>
                error === undefined ? resolve() : reject(error),
              );
              // Handled here so a failed burst leaves no unhandled rejection; the caller awaits it too.
              answer.catch(() => undefined);
              answers.push(answer);
            }),
        );
        // Small bodies fit in the socket buffers of a frozen server; a deadline rather than a hang if not.
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('the burst could not be written to the frozen server within 20 s')),
            20_000,
          );
        });
        try {
          await Promise.race([Promise.all(written), deadline]);
        } finally {
          clearTimeout(timer);
        }
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      return answers;
    },
  };
}
