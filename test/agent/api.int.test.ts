// The local inference API against a real `edgewatt agent --api` process: every input kind answers
// with a prediction, a seq and that inference's energy; every bad-input class gets a 400 naming
// it; a full queue answers 429 with Retry-After; a client that disconnects while it waits leaves
// the queue; the agent survives all of it and says so in /v1/status and on SIGUSR2.

import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBurst } from '../support/one-turn.js';
import { freePort, waitForPort } from '../support/ports.js';
import { type Running, runCli } from '../support/process.js';
import { tempDir } from '../support/stack.js';

const ZOO_MODEL = new URL('../../models/zoo/cnn-base', import.meta.url).pathname;
const TOKEN = 'test-token-0123456789abcdef';
const dir = tempDir('edgewatt-api-');
let agent: Running;
let base: string;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

async function call(
  path: string,
  body: Buffer | string | undefined,
  headers: Record<string, string> = {},
  auth = true,
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...(auth ? { authorization: `Bearer ${TOKEN}` } : {}), ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, headers: Object.fromEntries(response.headers), body: parsed };
}

/** A POST on its own connection (node:http), for bursts of concurrent requests. */
function post(path: string, body: Buffer, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, {
      method: 'POST',
      agent: false,
      headers: { ...headers, authorization: `Bearer ${TOKEN}`, 'content-length': String(body.length) },
    });
    req.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: JSON.parse(text) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (value: unknown) => JSON.stringify(value);
const JSON_TYPE = { 'content-type': 'application/json' };
const image = (value: number) => Array.from({ length: 28 }, () => Array.from({ length: 28 }, () => [value]));

function png(width: number, height: number): Buffer {
  const p = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) p.data.set([200, 200, 200, 255], i * 4);
  return PNG.sync.write(p);
}

function jpegBytes(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([i % 255, 80, 160, 255], i * 4);
  return Buffer.from(jpeg.encode({ data, width, height }, 90).data);
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  agent = runCli(
    [
      'agent',
      '--device',
      'api-1',
      '--sensor',
      'simulated:rpi4',
      '--model',
      ZOO_MODEL,
      '--warmup',
      '0',
      '--state-dir',
      join(dir.path, 'state'),
      // No broker: records wait in the spool; the API does not need one.
      '--broker',
      `mqtt://127.0.0.1:${await freePort()}`,
      '--api',
      `127.0.0.1:${port}`,
      '--api-token',
      TOKEN,
      '--api-queue',
      '2',
    ],
    { EDGEWATT_LOG_LEVEL: 'info' },
  );
  await waitForPort(port, 'agent API', 30_000, agent.child);
}, 40_000);

afterAll(async () => {
  agent.child.kill('SIGTERM');
  await agent.exited;
  dir.remove();
});

describe('POST /v1/infer with good inputs', () => {
  it('answers a JSON input with the prediction, the record seq, latency and energy with provenance', async () => {
    const first = await call('/v1/infer', json({ input: image(0.2) }), JSON_TYPE);
    expect(first.status).toBe(200);
    const b = first.body as {
      seq: number;
      predictedClass: number[];
      output: number[][];
      latencyMs: number;
      energy: Record<string, unknown>;
    };
    expect(b.predictedClass).toHaveLength(1);
    expect(b.output[0]).toHaveLength(10);
    expect(b.predictedClass[0]).toBe(b.output[0]?.indexOf(Math.max(...(b.output[0] ?? []))));
    expect(b.latencyMs).toBeGreaterThan(0);
    expect(b.energy).toMatchObject({ provenance: 'estimated', sensor: 'simulated:rpi4', sampleCount: 0 });
    expect(b.energy.energyJ as number).toBeGreaterThan(0);
    expect(b.energy.uncertaintyJ as number).toBeGreaterThan(0);
    const second = await call('/v1/infer', json({ input: image(0.2) }), JSON_TYPE);
    expect((second.body as { seq: number }).seq).toBe(b.seq + 1);
    // Same input, same model: same answer.
    expect((second.body as { output: number[][] }).output).toEqual(b.output);
  });

  it('runs k inputs of one request in one call, one prediction each', async () => {
    const answer = await call('/v1/infer', json({ input: [image(0), image(1)] }), JSON_TYPE);
    expect(answer.status).toBe(200);
    expect(answer.body.predictedClass).toHaveLength(2);
  });

  it('takes raw float32 bytes with dtype and shape in headers, and uint8 with them in the query', async () => {
    const paths = async () => (await call('/v1/status?format=json', undefined)).body.api;
    const before = (await paths()) as { infer: { fastPath: number; routed: number } };
    const values = new Float32Array(28 * 28).fill(0.2);
    const raw = await call('/v1/infer', Buffer.from(values.buffer), {
      'content-type': 'application/octet-stream',
      'x-edgewatt-dtype': 'float32',
      'x-edgewatt-shape': '28,28,1',
    });
    expect(raw.status).toBe(200);
    const asJson = await call('/v1/infer', json({ input: image(0.2) }), JSON_TYPE);
    expect(raw.body.output).toEqual(asJson.body.output);
    const bytes = await call('/v1/infer?dtype=uint8&shape=1,28,28,1', Buffer.alloc(784, 3), {
      'content-type': 'application/octet-stream',
    });
    expect(bytes.status).toBe(200);
    // Headers only: the fast path below fastify; a query, or JSON: fastify's route.
    expect(await paths()).toEqual({
      infer: { fastPath: before.infer.fastPath + 1, routed: before.infer.routed + 2 },
    });
  });

  it('takes a PNG of the model’s size and a larger colour JPEG (resized, made grey)', async () => {
    const p = await call('/v1/infer', png(28, 28), { 'content-type': 'image/png' });
    expect(p.status).toBe(200);
    // 200/255 grey everywhere: the same as that JSON input.
    const same = await call('/v1/infer', json({ input: image(200 / 255) }), JSON_TYPE);
    expect(p.body.output).toEqual(same.body.output);
    const j = await call('/v1/infer', jpegBytes(56, 40), { 'content-type': 'image/jpeg' });
    expect(j.status).toBe(200);
  });
});

describe('POST /v1/infer with bad inputs: 400 naming the problem', () => {
  const cases: [string, Buffer | string, Record<string, string>, string, string][] = [
    ['a JSON input of the wrong shape', json({ input: [[1, 2]] }), JSON_TYPE, 'bad-shape', '[28, 28, 1]'],
    [
      'a ragged JSON array',
      json({ input: image(0).map((row, y) => (y === 5 ? row.slice(1) : row)) }),
      JSON_TYPE,
      'bad-shape',
      'ragged',
    ],
    ['a string among the numbers', json({ input: [[['x']]] }), JSON_TYPE, 'bad-shape', 'does not fit'],
    [
      'a non-number in a well-shaped input',
      json({ input: image(0).map((row, y) => (y === 3 ? row.map((_, x) => (x === 5 ? ['a'] : [0])) : row)) }),
      JSON_TYPE,
      'bad-dtype',
      'input[3][5][0]',
    ],
    ['JSON without "input"', json({ data: [] }), JSON_TYPE, 'bad-format', '"input"'],
    ['JSON that does not parse', '{"input": [', JSON_TYPE, 'bad-request', 'JSON'],
    [
      'raw bytes of the wrong size',
      Buffer.alloc(100),
      { 'content-type': 'application/octet-stream', 'x-edgewatt-shape': '28,28,1' },
      'bad-size',
      '100 bytes',
    ],
    [
      'an unknown dtype',
      Buffer.alloc(784 * 8),
      {
        'content-type': 'application/octet-stream',
        'x-edgewatt-shape': '28,28,1',
        'x-edgewatt-dtype': 'float64',
      },
      'bad-dtype',
      'float64',
    ],
    [
      'raw bytes without a shape',
      Buffer.alloc(784 * 4),
      { 'content-type': 'application/octet-stream' },
      'bad-shape',
      'X-Edgewatt-Shape',
    ],
    [
      'bytes that are no image',
      Buffer.from('GIF89a not really'),
      { 'content-type': 'image/png' },
      'bad-format',
      'PNG',
    ],
    ['a truncated PNG', png(28, 28).subarray(0, 60), { 'content-type': 'image/png' }, 'bad-format', 'PNG'],
    [
      'an image of a content type not served',
      Buffer.from('BM..'),
      { 'content-type': 'image/bmp' },
      'bad-format',
      'image/bmp',
    ],
    ['an empty body', Buffer.alloc(0), { 'content-type': 'image/jpeg' }, 'bad-', ''],
  ];
  it.each(cases)('%s', async (_what, body, headers, error, mention) => {
    const answer = await call('/v1/infer', body, headers);
    expect(answer.status).toBe(400);
    expect(String(answer.body.error)).toContain(error);
    expect(String(answer.body.message)).toContain(mention);
  });

  it('a body over the limit is refused with 413, from its Content-Length alone', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/v1/infer`, {
        method: 'POST',
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(9 * 1024 * 1024),
          'x-edgewatt-shape': '28,28,1',
          authorization: `Bearer ${TOKEN}`,
        },
      });
      req.on('response', (response) => {
        resolve(response.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1024));
    });
    expect(status).toBe(413);
  });

  it('a request without the token, or with another one, is refused with 401', async () => {
    const answer = await call('/v1/infer', json({ input: image(0) }), JSON_TYPE, false);
    expect(answer.status).toBe(401);
    for (const wrong of [`${TOKEN}x`, TOKEN.slice(1), ''])
      expect(
        (
          await call(
            '/v1/infer',
            json({ input: image(0) }),
            { ...JSON_TYPE, authorization: `Bearer ${wrong}` },
            false,
          )
        ).status,
      ).toBe(401);
  });
});

describe('the queue', () => {
  // Many inputs per call keep the model busy for a while, so concurrent requests pile up; raw
  // bytes decode in a few ms, so requests reach the queue while the model still runs.
  const heavy = (k: number) => Buffer.from(new Float32Array(k * 784).fill(0.5).buffer);
  const heavyHeaders = (k: number) => ({
    'content-type': 'application/octet-stream',
    'x-edgewatt-shape': `${k},28,28,1`,
  });

  it('answers 429 with Retry-After once more than --api-queue requests wait, and serves the rest', async () => {
    // A request that finds the queue idle runs in its own turn, so only requests read in the same
    // turn pile up; sent at once only, under a loaded CI run 16 and even 48 could spread out so
    // that none was refused. Eight read in one turn (test/support/one-turn.ts): the first runs,
    // two wait (--api-queue 2), five are refused.
    const burst = await prepareBurst(
      agent.child,
      Array.from({ length: 8 }, () => ({
        url: `${base}/v1/infer`,
        body: heavy(1),
        headers: { ...heavyHeaders(1), authorization: `Bearer ${TOKEN}` },
      })),
    );
    let answers: Answer[];
    try {
      answers = await Promise.all(await burst.send());
    } finally {
      burst.close();
    }
    const codes = answers.map((a) => a.status);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThan(0);
    expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(3);
    expect(codes.every((c) => c === 200 || c === 429)).toBe(true);
    const refused = answers.find((a) => a.status === 429);
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The records of served requests have distinct, consecutive-free-of-gaps seqs.
    const seqs = answers.filter((a) => a.status === 200).map((a) => a.body.seq as number);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('a client that disconnects mid-request does not disturb the agent: the next requests are answered', async () => {
    const busy = post('/v1/infer', heavy(1024), heavyHeaders(1024));
    // A second request, sent while the first runs, whose client then goes away; and a third one
    // cut off in the middle of its body.
    await new Promise((resolve) => setTimeout(resolve, 150));
    for (const cut of [false, true]) {
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${base}/v1/infer`, {
          method: 'POST',
          agent: false,
          headers: {
            ...heavyHeaders(cut ? 4 : 1),
            authorization: `Bearer ${TOKEN}`,
            'content-length': String(4 * 784 * 4),
          },
        });
        req.on('error', () => resolve());
        const body = heavy(cut ? 4 : 1);
        const done = () =>
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 50);
        if (cut) req.write(body.subarray(0, 1000), done);
        else req.end(body, done);
      });
    }
    expect((await busy).status).toBe(200);
    expect((await call('/v1/infer', json({ input: image(0) }), JSON_TYPE)).status).toBe(200);
    expect((await call('/v1/status?format=json', undefined)).status).toBe(200);
  });
});

describe('feedback and status', () => {
  it('judges a label against the answer given, and refuses an unknown seq or a bad label', async () => {
    const answer = await call('/v1/infer', json({ input: image(0.7) }), JSON_TYPE);
    const seq = answer.body.seq as number;
    const predicted = (answer.body.predictedClass as number[])[0] as number;
    const right = await call('/v1/feedback', json({ seq, label: predicted }), JSON_TYPE);
    expect(right.body).toEqual({ seq, label: predicted, correct: true });
    const wrong = await call('/v1/feedback', json({ seq, label: (predicted + 1) % 10 }), JSON_TYPE);
    expect(wrong.body.correct).toBe(false);
    expect((await call('/v1/feedback', json({ seq: 999_999, label: 1 }), JSON_TYPE)).status).toBe(404);
    const bad = await call('/v1/feedback', json({ seq, label: -1 }), JSON_TYPE);
    expect([bad.status, bad.body.error]).toEqual([400, 'bad-label']);
  });

  it('serves a short human summary, and prints it to the log on SIGUSR2', async () => {
    const text = String((await call('/v1/status', undefined)).body.text);
    expect(text).toMatch(
      /model cnn-base \([0-9a-f]{12}\) on (wasm|cpu|tensorflow), sensor simulated:rpi4 \(an estimate\)/,
    );
    expect(text).toMatch(/\d+ inferences, [\d.]+ ± [\d.]+ mJ per inference \(95 %, \d+ windows\)/);
    expect(text).toMatch(/spool \d+ records in \d+ batches/);
    agent.child.kill('SIGUSR2');
    // A generous deadline: the signal is handled at once, but a loaded machine may not run it at once.
    const deadline = Date.now() + 20_000;
    while (!agent.stderr().includes('mJ per inference') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(agent.stderr()).toContain('mJ per inference');
  });
});

describe('an exposed API', () => {
  it('refuses to listen beyond loopback without a token, before loading anything', async () => {
    const run = runCli([
      'agent',
      '--device',
      'api-2',
      '--sensor',
      'simulated:rpi4',
      '--model',
      ZOO_MODEL,
      '--api',
      `0.0.0.0:${await freePort()}`,
      '--state-dir',
      join(dir.path, 'state-2'),
    ]);
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(run.stderr()).toContain('--api-token');
  });
});
