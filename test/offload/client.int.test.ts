// The offload client against real sockets: a server speaking the contract's JSON (application and
// socket bytes, keep-alive reuse), a TLS server (handshake bytes counted on the TCP socket; a
// server signed by another CA is a tls-error), 5xx, 429/503 with Retry-After, a server that never
// answers (the deadline holds), a TCP server that cuts the answer in the middle, and a real server
// process killed between two requests. Every failure is an outcome, never a throw or a hang.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OffloadClient } from '../../agent/offload/client.js';
import { makeTestCertificates } from '../support/certificates.js';
import { freePort, waitForPort } from '../support/ports.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

const INPUT = new Float32Array(28 * 28).fill(0.5); // 3,136 bytes
const SHAPE = [1, 28, 28, 1];
const ANSWER = {
  prediction: [0.1, 0.7, 0.2],
  classIndex: 1,
  requestId: null,
  server: { id: 'stub-1', region: 'FR', pueClass: 'enterprise' },
  batch: { size: 1, queueS: 0.001, computeS: 0.002 },
  energy: { requestJ: 0.05, uncertaintyJ: 0.01, idleShareJ: 0.02, provenance: 'estimated', method: 'stub' },
  latencyS: 0.003,
};

const dir = tempDir('edgewatt-offload-client-');
const closers: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  dir.remove();
});

/** A fastify stub of `edgewatt serve`: `routes` decides each answer; remembers each request's socket port. */
async function stub(
  handle: (request: {
    id: string;
    bytes: number;
  }) => { status: number; body: unknown; headers?: Record<string, string> } | 'hang',
  tls?: { key: string; cert: string },
): Promise<{ url: string; ports: number[]; app: FastifyInstance }> {
  // One http(s) server type for both: fastify's typings split them by option.
  const app = Fastify((tls === undefined ? {} : { https: tls }) as object) as unknown as FastifyInstance;
  const ports: number[] = [];
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_r, body, done) =>
    done(null, body),
  );
  app.post('/v1/infer', async (request, reply) => {
    ports.push(request.raw.socket.remotePort ?? 0);
    const decided = handle({
      id: String(request.headers['x-edgewatt-request-id']),
      bytes: (request.body as Buffer).length,
    });
    if (decided === 'hang') return new Promise(() => undefined);
    for (const [k, v] of Object.entries(decided.headers ?? {})) void reply.header(k, v);
    return reply.code(decided.status).send(decided.body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  closers.push(() => app.close());
  const port = (app.server.address() as net.AddressInfo).port;
  return { url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`, ports, app };
}

function client(serverUrl: string, extra: Partial<ConstructorParameters<typeof OffloadClient>[0]> = {}) {
  const c = new OffloadClient({
    serverUrl,
    device: 'dev-1',
    token: 'secret-token',
    timeoutMs: 2000,
    ...extra,
  });
  closers.push(() => c.close());
  return c;
}

describeWith(['openssl'], 'offload client', () => {
  let certs: ReturnType<typeof makeTestCertificates>;
  beforeAll(() => {
    certs = makeTestCertificates(dir.path, { withOtherCa: true });
  });

  it('ok: the answer, application bytes, socket bytes above them, one keep-alive connection', async () => {
    const seen: string[] = [];
    const server = await stub(({ id, bytes }) => {
      seen.push(`${id}:${bytes}`);
      return { status: 200, body: { ...ANSWER, requestId: id } };
    });
    const c = client(server.url);
    const first = await c.send(INPUT, SHAPE, '41');
    const second = await c.send(INPUT, SHAPE, '42');
    expect(seen).toEqual(['41:3136', '42:3136']);
    for (const exchange of [first, second]) {
      expect(exchange.outcome).toBe('ok');
      expect(exchange.httpStatus).toBe(200);
      expect(exchange.answer?.server.id).toBe('stub-1');
      expect(exchange.requestBytes).toBe(3136);
      expect(exchange.responseBytes).toBe(Buffer.byteLength(JSON.stringify({ ...ANSWER, requestId: '41' })));
      // Headers ride on top of the bodies: more on the socket, but not wildly more.
      expect(exchange.socketBytesSent).toBeGreaterThan(exchange.requestBytes + 100);
      expect(exchange.socketBytesSent).toBeLessThan(exchange.requestBytes + 1000);
      expect(exchange.socketBytesReceived).toBeGreaterThan(exchange.responseBytes + 50);
      expect(exchange.socketBytesReceived).toBeLessThan(exchange.responseBytes + 1000);
      expect(exchange.endNs).toBeGreaterThan(exchange.startNs);
    }
    // Same client port: the connection was kept alive, not opened twice.
    expect(server.ports[0]).toBe(server.ports[1]);
  });

  it('TLS: the handshake counts in the first request, not the second; another CA is a tls-error', async () => {
    const server = await stub(() => ({ status: 200, body: ANSWER }), {
      key: readFileSync(certs.key, 'utf8'),
      cert: readFileSync(certs.cert, 'utf8'),
    });
    const c = client(server.url, { ca: readFileSync(certs.ca, 'utf8') });
    const first = await c.send(INPUT, SHAPE, '1');
    const second = await c.send(INPUT, SHAPE, '2');
    expect([first.outcome, second.outcome]).toEqual(['ok', 'ok']);
    // The server's certificate chain (> 1 kB) arrives in the first exchange only.
    expect(first.socketBytesReceived - second.socketBytesReceived).toBeGreaterThan(1000);
    // TLS records cost bytes: encrypted bytes on the socket exceed the plaintext HTTP message.
    expect(second.socketBytesSent).toBeGreaterThan(second.requestBytes + 100);
    const wrong = client(server.url, { ca: readFileSync(certs.otherCa ?? '', 'utf8') });
    const refused = await wrong.send(INPUT, SHAPE, '3');
    expect(refused.outcome).toBe('tls-error');
    expect(refused.httpStatus).toBeUndefined();
    expect(refused.socketBytesReceived).toBeGreaterThan(0); // the certificate it refused came over the wire
  });

  it('5xx is an http-error, 429 and 503 are refused with their Retry-After', async () => {
    const statuses = [500, 429, 503, 401];
    const server = await stub(() => {
      const status = statuses.shift() ?? 500;
      return { status, body: { error: 'x', message: `status ${status}` }, headers: { 'retry-after': '3' } };
    });
    const c = client(server.url);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await c.send(INPUT, SHAPE, String(i)));
    expect(results.map((r) => [r.outcome, r.httpStatus])).toEqual([
      ['http-error', 500],
      ['refused', 429],
      ['refused', 503],
      ['http-error', 401],
    ]);
    expect(results[1]?.retryAfterS).toBe(3);
    expect(results[0]?.error).toBe('HTTP 500: status 500');
    expect(results.every((r) => r.answer === undefined)).toBe(true);
  });

  it('a server that never answers: timeout at the deadline, and the next request still goes', async () => {
    let hang = true;
    const server = await stub(() => (hang ? 'hang' : { status: 200, body: ANSWER }));
    const c = client(server.url, { timeoutMs: 300 });
    const slow = await c.send(INPUT, SHAPE, '1');
    expect(slow.outcome).toBe('timeout');
    const tookMs = Number(slow.endNs - slow.startNs) / 1e6;
    expect(tookMs).toBeGreaterThanOrEqual(295);
    // At the deadline, not at the server's pace (it never answers): generous (10×) above it, as a
    // timer on a loaded machine fires late.
    expect(tookMs).toBeLessThan(3000);
    expect(slow.socketBytesSent).toBeGreaterThan(3136); // the request did go out
    hang = false;
    expect((await c.send(INPUT, SHAPE, '2')).outcome).toBe('ok');
  });

  it('a connection cut in the middle of the answer is a connection-reset, with the bytes that came', async () => {
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        socket.write(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"prediction":[0.1,',
        );
        setTimeout(() => socket.resetAndDestroy(), 20);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const c = client(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    const cut = await c.send(INPUT, SHAPE, '1');
    expect(cut.outcome).toBe('connection-reset');
    expect(cut.responseBytes).toBe('{"prediction":[0.1,'.length);
    expect(cut.answer).toBeUndefined();
  });

  it('a kept-alive connection the server closes as the next request arrives: sent once more on a fresh one', async () => {
    // A raw HTTP/1.1 server: answers the first request of a connection and keeps it open, then
    // closes it without a byte when the next request arrives on it — the race with an idle
    // timeout (the server closing the connection the client has just picked). `fresh` counts
    // connections it closed at their FIRST request: those must not be retried.
    let connections = 0;
    let closeFirstOfNext = 0;
    const server = net.createServer((socket) => {
      connections++;
      let served = 0;
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const headEnd = buffered.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buffered.subarray(0, headEnd).toString())?.[1]);
        if (buffered.length < headEnd + 4 + length) return;
        buffered = buffered.subarray(headEnd + 4 + length);
        if (served > 0 || closeFirstOfNext > 0) {
          if (served === 0) closeFirstOfNext--;
          socket.destroy();
          return;
        }
        served++;
        const body = JSON.stringify(ANSWER);
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: keep-alive\r\n\r\n${body}`,
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const c = client(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    const first = await c.send(INPUT, SHAPE, '1');
    expect(first.outcome).toBe('ok');
    expect(first.retriedAfter).toBeUndefined();
    const second = await c.send(INPUT, SHAPE, '2');
    // Without the retry this is a connection-reset on the reused socket.
    expect(second.outcome).toBe('ok');
    expect(second.retriedAfter).toBeDefined();
    expect(c.retries).toBe(1);
    expect(connections).toBe(2);
    // Both attempts' bytes: two requests went out, one answer came back (on the new connection).
    expect(second.socketBytesSent).toBeGreaterThan(2 * (INPUT.byteLength + 100));
    expect(second.socketBytesReceived).toBeGreaterThan(second.responseBytes);
    expect(second.socketBytesReceived).toBeLessThan(first.socketBytesReceived + 50);
    expect(second.requestBytes).toBe(INPUT.byteLength);
    // A FRESH connection closed the same way is the server's doing: recorded, not retried.
    const again = client(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    closeFirstOfNext = 1;
    const before = connections;
    const refused = await again.send(INPUT, SHAPE, '3');
    expect(refused.outcome).toBe('connection-reset');
    expect(refused.retriedAfter).toBeUndefined();
    expect(again.retries).toBe(0);
    expect(connections).toBe(before + 1);
  });

  it('a real server process killed between two requests: then unreachable, never a hang', async () => {
    const port = await freePort();
    const script = join(dir.path, 'server.mjs');
    writeFileSync(
      script,
      `import http from 'node:http';
       const answer = ${JSON.stringify(JSON.stringify(ANSWER))};
       http.createServer((req, res) => { req.resume(); req.on('end', () => res.end(answer)); }).listen(${port}, '127.0.0.1');`,
    );
    const child: ChildProcess = spawn(process.execPath, [script], { stdio: 'ignore' });
    closers.push(() => child.kill('SIGKILL'));
    await waitForPort(port, 'the server process', 15_000, child);
    const c = client(`http://127.0.0.1:${port}`, { timeoutMs: 1000 });
    expect((await c.send(INPUT, SHAPE, '1')).outcome).toBe('ok');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // The kept-alive socket may be seen closed only by this request (reset), or before it.
    const afterKill = await c.send(INPUT, SHAPE, '2');
    expect(['connection-reset', 'unreachable']).toContain(afterKill.outcome);
    const next = await c.send(INPUT, SHAPE, '3');
    expect(next.outcome).toBe('unreachable');
    expect(Number(next.endNs - next.startNs) / 1e6).toBeLessThan(1000);
  });
});
