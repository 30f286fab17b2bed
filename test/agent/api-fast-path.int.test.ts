// POST /v1/infer's fast path for raw tensors (agent/api/fast-infer.ts) against fastify's route:
// the same requests sent to two APIs on one in-process agent, one with the fast path and one
// without, get the same answers — status line, headers in order, body — for every input a raw
// request can bring (good ones, each bad-input class, no token, too large, a full queue, a client
// that goes away, a failure inside the agent); the API's counters (GET /v1/status `api`) show which
// path served each. Queued fast-path requests are each answered for their own body.

import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { AnswerJson } from '../../agent/api/answer-json.js';
import { type RunningApi, startApi } from '../../agent/api/server.js';
import { OffloadFailedError } from '../../agent/offload/figures.js';
import { tempDir } from '../support/stack.js';
import { zooAgentConfig } from '../support/zoo-agent.js';

const TOKEN = 'fast-path-token-0123456789';
const QUEUE_MAX = 4;
const dir = tempDir('edgewatt-fast-path-');
let agent: Agent;
let fast: RunningApi;
let routed: RunningApi;

beforeAll(async () => {
  agent = await Agent.start({
    ...zooAgentConfig({
      broker: 'mqtt://127.0.0.1:1',
      device: 'fast-path',
      stateDir: join(dir.path, 'state'),
    }),
    queueMax: QUEUE_MAX,
  });
  const listen = { kind: 'tcp', host: '127.0.0.1', port: 0 } as const;
  fast = await startApi(agent, { listen, token: TOKEN });
  routed = await startApi(agent, { listen, token: TOKEN, fastPath: false });
}, 60_000);

afterAll(async () => {
  await fast?.close();
  await routed?.close();
  await agent?.stop(0);
  dir.remove();
});

interface Raw {
  status: number;
  statusMessage: string;
  /** Header names and values in the order sent; Date's value masked. */
  headers: string[];
  body: string;
}

interface Sent {
  path?: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Content-Length to announce when it is not the body's (a body cut short or too large). */
  contentLength?: number;
}

/** One request on its own connection; the answer as sent. */
function send(api: RunningApi, sent: Sent): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${api.address}${sent.path ?? '/v1/infer'}`, {
      method: 'POST',
      agent: false,
      headers: { ...sent.headers, 'content-length': String(sent.contentLength ?? sent.body.length) },
    });
    req.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        const headers = response.rawHeaders.map((value, i) =>
          i % 2 === 1 && response.rawHeaders[i - 1]?.toLowerCase() === 'date' ? '(date)' : value,
        );
        resolve({
          status: response.statusCode ?? 0,
          statusMessage: response.statusMessage ?? '',
          headers,
          body,
        });
        req.destroy();
      });
    });
    req.on('error', reject);
    if (sent.contentLength === undefined) req.end(sent.body);
    else req.write(sent.body);
  });
}

const counts = () => ({ fast: { ...fast.stats.infer }, routed: { ...routed.stats.infer } });

/** Sends `sent` to both APIs; checks that each path served its own, and returns both answers. */
async function both(sent: Sent): Promise<[Raw, Raw]> {
  const before = counts();
  const viaFast = await send(fast, sent);
  const viaRoute = await send(routed, sent);
  // fastify refuses a request without the token (its hook) or over the limit before the route.
  const reachedRoute = viaRoute.status !== 401 && viaRoute.status !== 413;
  expect(counts()).toEqual({
    fast: { fastPath: before.fast.fastPath + 1, routed: before.fast.routed },
    routed: { fastPath: 0, routed: before.routed.routed + (reachedRoute ? 1 : 0) },
  });
  return [viaFast, viaRoute];
}

const auth = { authorization: `Bearer ${TOKEN}` };
const RAW = { ...auth, 'content-type': 'application/octet-stream', 'x-edgewatt-shape': '28,28,1' };
const floats = (value: number, n = 784) => Buffer.from(new Float32Array(n).fill(value).buffer);

/** Waits for a condition of the agent's queue, with a deadline. */
async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Holds the agent's queue with a job of the test's until release(), and `waiting` more queued behind it. */
async function holdQueue(waiting = 0): Promise<{ release(): Promise<void> }> {
  let free = () => {};
  const held = agent.queue.run(() => new Promise<void>((resolve) => (free = resolve)));
  await until('the held job to start', () => agent.queue.depth === 1);
  const behind = Array.from({ length: waiting }, () => agent.queue.run(() => undefined));
  return {
    async release() {
      free();
      await Promise.all([held, ...behind]);
    },
  };
}

describe('the fast path answers as fastify’s route does', () => {
  const refusals: [string, Sent, number, string][] = [
    ['raw bytes of the wrong size', { headers: RAW, body: Buffer.alloc(100) }, 400, 'bad-size'],
    ['an empty body', { headers: RAW, body: Buffer.alloc(0) }, 400, 'bad-size'],
    [
      'an unknown dtype',
      { headers: { ...RAW, 'x-edgewatt-dtype': 'float64' }, body: Buffer.alloc(784 * 8) },
      400,
      'bad-dtype',
    ],
    [
      'a NaN among the values',
      { headers: RAW, body: Buffer.from(new Float32Array(784).fill(Number.NaN).buffer) },
      400,
      'bad-dtype',
    ],
    [
      'no shape',
      { headers: { ...auth, 'content-type': 'application/octet-stream' }, body: floats(0.1) },
      400,
      'bad-shape',
    ],
    [
      'a shape that is no list',
      { headers: { ...RAW, 'x-edgewatt-shape': 'two' }, body: floats(0.1) },
      400,
      'bad-shape',
    ],
    [
      'a shape the model does not take',
      { headers: { ...RAW, 'x-edgewatt-shape': '14,14,4' }, body: floats(0.1) },
      400,
      'bad-shape',
    ],
    ['no token', { headers: { ...RAW, authorization: '' }, body: floats(0.1) }, 401, 'unauthorized'],
    [
      'another token',
      { headers: { ...RAW, authorization: `Bearer ${TOKEN}x` }, body: floats(0.1) },
      401,
      'unauthorized',
    ],
    [
      'a body over the limit, from its Content-Length alone',
      { headers: RAW, body: Buffer.alloc(1024), contentLength: 9 * 1024 * 1024 },
      413,
      'bad-size',
    ],
  ];
  it.each(refusals)('%s', async (_what, sent, status, error) => {
    const [viaFast, viaRoute] = await both(sent);
    expect(viaFast).toEqual(viaRoute);
    expect(viaFast.status).toBe(status);
    expect(JSON.parse(viaFast.body)).toMatchObject({ error });
    if (status === 413) expect(viaFast.headers.slice(0, 2)).toEqual(['connection', 'close']);
  });

  const goods: [string, Sent, number][] = [
    ['float32 with the shape in a header', { headers: RAW, body: floats(0.3) }, 1],
    [
      'uint8 with its dtype',
      { headers: { ...RAW, 'x-edgewatt-dtype': 'uint8' }, body: Buffer.alloc(784, 77) },
      1,
    ],
    [
      'int32 with its dtype',
      { headers: { ...RAW, 'x-edgewatt-dtype': 'int32' }, body: Buffer.alloc(784 * 4) },
      1,
    ],
    [
      'two inputs in one body',
      { headers: { ...RAW, 'x-edgewatt-shape': '2,28,28,1' }, body: floats(0.6, 1568) },
      2,
    ],
  ];
  it.each(goods)('%s: the same prediction, headers and keys', async (_what, sent, count) => {
    const [viaFast, viaRoute] = await both(sent);
    expect([viaFast.status, viaRoute.status]).toEqual([200, 200]);
    const mask = (raw: Raw) =>
      raw.headers.map((value, i) => (raw.headers[i - 1] === 'content-length' ? '(length)' : value));
    expect(mask(viaFast)).toEqual(mask(viaRoute));
    const a = JSON.parse(viaFast.body) as Record<string, unknown>;
    const b = JSON.parse(viaRoute.body) as Record<string, unknown>;
    const keys = (value: Record<string, unknown>) => [
      ...Object.keys(value),
      ...Object.keys(value.energy as object),
    ];
    expect(keys(a)).toEqual(keys(b));
    expect(a.predictedClass).toHaveLength(count);
    for (const key of ['output', 'predictedClass', 'modelId', 'variant', 'backend', 'queuedMs'])
      expect(a[key], key).toEqual(b[key]);
    expect(b.seq).toBe((a.seq as number) + 1);
    // The text is JSON.stringify's own (the hand-written answer writer).
    expect(JSON.stringify(a)).toBe(viaFast.body);
  });

  it('writes the agent’s real answers byte for byte as JSON.stringify does', async () => {
    const writer = new AnswerJson();
    for (const value of [0, 0.25, 1]) {
      const answer = await agent.infer({ values: new Float32Array(784).fill(value), count: 1 });
      expect(writer.write(answer)).toBe(JSON.stringify(answer));
    }
  });

  it('a full queue: 429 with the same Retry-After', async () => {
    const hold = await holdQueue(QUEUE_MAX);
    try {
      await until('the queue to fill', () => agent.queue.depth === QUEUE_MAX + 1);
      const [viaFast, viaRoute] = await both({ headers: RAW, body: floats(0.2) });
      expect(viaFast).toEqual(viaRoute);
      expect(viaFast.status).toBe(429);
      expect(viaFast.headers.slice(0, 2)).toEqual([
        'retry-after',
        String(JSON.parse(viaFast.body).retryAfterS),
      ]);
    } finally {
      await hold.release();
    }
  });

  it('a client that goes away while its request waits leaves the queue (499), on both paths', async () => {
    for (const api of [fast, routed]) {
      const hold = await holdQueue();
      try {
        const abandoned = agent.queue.stats.abandoned;
        const req = httpRequest(`${api.address}/v1/infer`, { method: 'POST', agent: false, headers: RAW });
        req.on('error', () => undefined);
        req.end(floats(0.4));
        await until('the request to wait', () => agent.queue.depth === 2);
        req.destroy();
        await until('the request to leave the queue', () => agent.queue.stats.abandoned === abandoned + 1);
        expect(agent.queue.depth).toBe(1);
      } finally {
        await hold.release();
      }
    }
    expect(fast.stats.infer.routed).toBe(0);
  });

  it('a failure inside the agent: 500 (and an offload that failed: 502), the agent still answers', async () => {
    const infer = vi.spyOn(agent, 'infer');
    try {
      infer
        .mockRejectedValueOnce(new Error('the model broke'))
        .mockRejectedValueOnce(new Error('the model broke'));
      const [fast500, route500] = await both({ headers: RAW, body: floats(0.2) });
      expect(fast500).toEqual(route500);
      expect([fast500.status, JSON.parse(fast500.body).error]).toEqual([500, 'internal']);
      const failed = () =>
        new OffloadFailedError({
          seq: 7,
          outcome: 'timeout',
          policy: 'always',
          fallback: 'none',
          roundTripMs: 1000,
          requestBytes: 3136,
          responseBytes: 0,
          socketBytesSent: 3300,
          socketBytesReceived: 0,
          deviceEnergyJ: 0.5,
          deviceEnergyUncertaintyJ: 0.1,
          energyProvenance: 'estimated',
        } as unknown as ConstructorParameters<typeof OffloadFailedError>[0]);
      infer.mockRejectedValueOnce(failed()).mockRejectedValueOnce(failed());
      const [fast502, route502] = await both({ headers: RAW, body: floats(0.2) });
      expect(fast502).toEqual(route502);
      expect([fast502.status, JSON.parse(fast502.body).offload.seq]).toEqual([502, 7]);
    } finally {
      infer.mockRestore();
    }
    expect((await send(fast, { headers: RAW, body: floats(0.2) })).status).toBe(200);
  });
});

describe('what the fast path takes', () => {
  it('leaves to fastify a query string, another content type spelling, JSON and chunked bodies', async () => {
    const before = counts().fast;
    const image = Array.from({ length: 28 }, () => Array.from({ length: 28 }, () => [0.3]));
    const answers = [
      await send(fast, { path: '/v1/infer?dtype=float32', headers: RAW, body: floats(0.3) }),
      await send(fast, {
        headers: { ...RAW, 'content-type': 'application/octet-stream; charset=binary' },
        body: floats(0.3),
      }),
      await send(fast, {
        headers: { ...auth, 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ input: image })),
      }),
    ];
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${fast.address}/v1/infer`, { method: 'POST', agent: false, headers: RAW });
      req.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write(floats(0.3).subarray(0, 1000));
      req.end(floats(0.3).subarray(1000));
    });
    expect([...answers.map((a) => a.status), chunked]).toEqual([200, 200, 200, 200]);
    expect(counts().fast).toEqual({ fastPath: before.fastPath, routed: before.routed + 4 });
  });

  it('says in GET /v1/status how many requests each path served', async () => {
    const response = await fetch(`${fast.address}/v1/status?format=json`, { headers: auth });
    const status = (await response.json()) as { api: unknown; inferences: number };
    expect(status.api).toEqual({ infer: fast.stats.infer });
    expect(fast.stats.infer.fastPath).toBeGreaterThan(10);
    expect(status.inferences).toBeGreaterThan(0);
  });

  it('steps aside while the API closes: a request arriving then gets fastify’s 503 on both paths', async () => {
    const rawRequest = (value: number) =>
      Buffer.concat([
        Buffer.from(
          `POST /v1/infer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/octet-stream\r\nX-Edgewatt-Shape: 28,28,1\r\nContent-Length: 3136\r\n\r\n`,
        ),
        floats(value),
      ]);
    const exchanges: string[][] = [];
    for (const fastPath of [true, false]) {
      const api = await startApi(agent, {
        listen: { kind: 'tcp', host: '127.0.0.1', port: 0 },
        token: TOKEN,
        fastPath,
      });
      const socket = connect(Number(new URL(api.address).port), '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
      });
      const ended = new Promise((resolve) => socket.on('close', resolve));
      const hold = await holdQueue();
      let closed: Promise<void> = Promise.resolve();
      try {
        // The first request waits in the queue, so its connection is busy when the API starts closing.
        socket.write(rawRequest(0.3));
        await until('the first request to wait', () => agent.queue.depth === 2);
        closed = api.close();
        await until('the API to stop listening', () => !api.app.server.listening);
        socket.write(rawRequest(0.3));
      } finally {
        await hold.release();
      }
      await ended;
      await closed;
      const at = received.indexOf('HTTP/1.1', 1);
      exchanges.push(
        [received.slice(0, at), received.slice(at)].map((r) => r.replace(/Date: [^\r]+/, 'Date: (date)')),
      );
      expect(api.stats.infer).toEqual(fastPath ? { fastPath: 1, routed: 0 } : { fastPath: 0, routed: 1 });
    }
    const [viaFast, viaRoute] = exchanges;
    expect(viaFast?.[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(viaFast?.[1]).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(viaFast?.[1]).toBe(viaRoute?.[1]);
  });

  it('answers queued requests each for its own body', async () => {
    const values = [0.05, 0.5, 0.95];
    const expected = await Promise.all(
      values.map(
        async (value) => (await agent.infer({ values: new Float32Array(784).fill(value), count: 1 })).output,
      ),
    );
    expect(new Set(expected.map((o) => JSON.stringify(o))).size).toBe(3);
    const hold = await holdQueue();
    let answers: Promise<Raw>[] = [];
    try {
      answers = values.map((value) => send(fast, { headers: RAW, body: floats(value) }));
      await until('the three requests to wait', () => agent.queue.depth === 4);
    } finally {
      await hold.release();
    }
    const outputs = (await Promise.all(answers)).map(
      (a) => (JSON.parse(a.body) as { output: unknown }).output,
    );
    expect(outputs).toEqual(expected);
  });
});
