// `edgewatt serve` as a real child process (bin/edgewatt.js) serving the zoo CNN: every input
// format answers with the contract's JSON (protocol/serve-answer.ts) and a labelled energy; bad
// credentials get 401, bad inputs 400 naming the problem, a large body 413; concurrent requests
// share batches; a full queue answers 429 with Retry-After; TLS with an openssl certificate;
// /metrics and /v1/status, and both /metrics and 429 while a long batch computes (the model runs
// on its own thread); SIGTERM answers the requests in flight before the process exits 0.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { serveAnswerSchema } from '../../protocol/serve-answer.js';
import { makeTestCertificates } from '../support/certificates.js';
import { prepareBurst } from '../support/one-turn.js';
import { freePort, waitForPort } from '../support/ports.js';
import { type Running, runCli } from '../support/process.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

const ZOO_MODEL = new URL('../../models/zoo/cnn-base', import.meta.url).pathname;
const TOKEN = 'device-token-0123456789';
const dir = tempDir('edgewatt-serve-');

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One POST/GET on its own connection, http or https (with the test CA). */
function call(
  url: string,
  options: { body?: Buffer; headers?: Record<string, string>; ca?: Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const requester = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = requester(url, {
      method: options.body === undefined ? 'GET' : 'POST',
      agent: false,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      headers: {
        ...options.headers,
        ...(options.body === undefined ? {} : { 'content-length': String(options.body.length) }),
      },
    });
    req.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () => {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { text };
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const auth = { authorization: `Bearer ${TOKEN}`, 'x-edgewatt-device': 'pi-1' };
const RAW = { 'content-type': 'application/octet-stream', 'x-edgewatt-shape': '28,28,1' };
const raw = (value: number, count = 1) => Buffer.from(new Float32Array(count * 28 * 28).fill(value).buffer);
/** 128 inputs in one request: a model call long enough for the requests behind it to be still in flight. */
const HEAVY = { body: raw(0.5, 128), headers: { ...RAW, 'x-edgewatt-shape': '128,28,28,1' } };

/** The largest request the model takes (1,024 inputs): one model call of seconds here. */
const LONG = { body: raw(0.5, 1024), headers: { ...RAW, 'x-edgewatt-shape': '1024,28,28,1' } };
const SINGLE = { body: raw(0.5), headers: RAW };

function png(): Buffer {
  const image = new PNG({ width: 28, height: 28 });
  for (let i = 0; i < 28 * 28; i++) image.data.set([200, 200, 200, 255], i * 4);
  return PNG.sync.write(image);
}

async function waitReady(url: string, ca?: Buffer): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await call(`${url}/v1/status`, ca === undefined ? {} : { ca }).catch(() => null);
    if (status?.body.state === 'ready') return;
    if (Date.now() > deadline) throw new Error(`${url} was not ready within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeWith(['openssl'], 'edgewatt serve (real process)', () => {
  let plain: Running;
  let secure: Running;
  let plainUrl: string;
  let secureUrl: string;
  let ca: Buffer;

  beforeAll(async () => {
    const credentials = join(dir.path, 'credentials');
    writeFileSync(credentials, `pi-1 ${createHash('sha256').update(TOKEN).digest('hex')}\n`);
    const certs = makeTestCertificates(dir.path);
    ca = readFileSync(certs.ca);
    const [plainPort, securePort] = [await freePort(), await freePort()];
    plainUrl = `http://127.0.0.1:${plainPort}`;
    secureUrl = `https://127.0.0.1:${securePort}`;
    const common = ['serve', '--model', ZOO_MODEL, '--energy', 'estimated', '--grid-region', 'FR'];
    plain = runCli([
      ...common,
      '--listen',
      `127.0.0.1:${plainPort}`,
      '--credentials',
      credentials,
      '--max-batch-size',
      '8',
      '--max-queue-delay-ms',
      '40',
      '--max-body-bytes',
      '64KiB',
      '--server-id',
      'dc-test-1',
      '--pue-class',
      'hyperscale',
    ]);
    // One input per batch and two places in the queue: a burst overflows it.
    secure = runCli([
      ...common,
      '--listen',
      `127.0.0.1:${securePort}`,
      '--insecure-no-auth',
      '--tls-cert',
      certs.cert,
      '--tls-key',
      certs.key,
      '--max-batch-size',
      '1',
      '--max-queue-delay-ms',
      '0',
      '--max-queue',
      '2',
    ]);
    await Promise.all([
      waitForPort(plainPort, 'serve', 30_000, plain.child),
      waitForPort(securePort, 'serve (TLS)', 30_000, secure.child),
    ]);
    await Promise.all([waitReady(plainUrl), waitReady(secureUrl, ca)]);
  }, 60_000);

  afterAll(async () => {
    for (const child of [plain, secure]) if (child.child.exitCode === null) child.child.kill('SIGKILL');
    dir.remove();
  });

  it('answers JSON, raw float32 and PNG inputs with the contract’s answer and a labelled estimate', async () => {
    const inputs = [
      {
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ input: Array.from({ length: 28 }, () => Array(28).fill([0.5])) })),
      },
      { headers: RAW, body: raw(0.5) },
      { headers: { 'content-type': 'image/png' }, body: png() },
    ];
    for (const [i, input] of inputs.entries()) {
      const answer = await call(`${plainUrl}/v1/infer`, {
        body: input.body,
        headers: { ...auth, ...input.headers, 'x-edgewatt-request-id': `seq-${i}` },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const parsed = serveAnswerSchema.parse(answer.body);
      expect(parsed.prediction).toHaveLength(10);
      expect(parsed.prediction[parsed.classIndex]).toBe(Math.max(...parsed.prediction));
      expect(parsed.requestId).toBe(`seq-${i}`);
      expect(answer.headers['x-edgewatt-request-id']).toBe(`seq-${i}`);
      expect(parsed.server).toEqual({ id: 'dc-test-1', region: 'FR', pueClass: 'hyperscale' });
      expect(parsed.energy.provenance).toBe('estimated');
      expect(parsed.energy.method).toMatch(/^ESTIMATE/);
      expect(parsed.energy.requestJ).toBeGreaterThan(0);
      expect(parsed.energy.idleShareJ).toBeGreaterThan(0);
      expect(parsed.latencyS).toBeGreaterThanOrEqual(parsed.batch.queueS + parsed.batch.computeS);
    }
  });

  it('refuses a missing or wrong token and an unknown device with 401 naming it', async () => {
    const wrong = await call(`${plainUrl}/v1/infer`, {
      body: raw(0.5),
      headers: { ...RAW, authorization: 'Bearer not-the-token', 'x-edgewatt-device': 'pi-1' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('bad-token');
    const none = await call(`${plainUrl}/v1/infer`, { body: raw(0.5), headers: RAW });
    expect(none).toMatchObject({ status: 401, body: { error: 'no-token' } });
    const unknown = await call(`${plainUrl}/v1/infer`, {
      body: raw(0.5),
      headers: { ...RAW, authorization: `Bearer ${TOKEN}`, 'x-edgewatt-device': 'pi-9' },
    });
    expect(unknown).toMatchObject({ status: 401, body: { error: 'unknown-device' } });
  });

  it('answers 400 naming the input problem, and 413 for a body over --max-body-bytes', async () => {
    const shape = await call(`${plainUrl}/v1/infer`, {
      body: raw(0.5),
      headers: { ...auth, ...RAW, 'x-edgewatt-shape': '14,14,4' },
    });
    expect(shape.status).toBe(400);
    expect(shape.body.error).toBe('bad-shape');
    expect(String(shape.body.message)).toContain('[28, 28, 1]');
    const format = await call(`${plainUrl}/v1/infer`, {
      body: Buffer.from('hello'),
      headers: { ...auth, 'content-type': 'text/plain' },
    });
    expect(format).toMatchObject({ status: 400, body: { error: 'bad-format' } });
    const large = await call(`${plainUrl}/v1/infer`, {
      body: Buffer.alloc(100 * 1024),
      headers: { ...auth, ...RAW, 'x-edgewatt-shape': '128,28,28,1' },
    });
    expect(large).toMatchObject({ status: 413, body: { error: 'bad-size' } });
  });

  it('batches concurrent requests (up to --max-batch-size) and attributes each batch’s energy', async () => {
    // Twelve requests read in one turn of the server (test/support/one-turn.ts): sent at once
    // only, on a loaded machine they could arrive over more than --max-queue-delay-ms, one a batch.
    const burst = await prepareBurst(
      plain.child,
      Array.from({ length: 12 }, () => ({
        url: `${plainUrl}/v1/infer`,
        body: raw(0.25),
        headers: { ...auth, ...RAW },
      })),
    );
    let answers: Answer[];
    try {
      answers = await Promise.all(await burst.send());
    } finally {
      burst.close();
    }
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    const parsed = answers.map((a) => serveAnswerSchema.parse(a.body));
    const sizes = parsed.map((a) => a.batch.size);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
    // Requests of one batch (same compute window) carry equal shares of its energy.
    const byWindow = new Map<number, number[]>();
    for (const a of parsed)
      byWindow.set(a.batch.computeS, [...(byWindow.get(a.batch.computeS) ?? []), a.energy.requestJ]);
    for (const shares of byWindow.values()) expect(new Set(shares).size).toBe(1);
  });

  it('serves /metrics and /v1/status', async () => {
    const metrics = await call(`${plainUrl}/metrics`);
    const text = String(metrics.body.text);
    expect(text).toMatch(/^edgewatt_serve_queue_depth 0$/m);
    expect(text).toMatch(/^edgewatt_serve_requests_total\{outcome="unauthorized"\} 3$/m);
    expect(text).toMatch(/^edgewatt_serve_batch_size_bucket\{le="8"\} \d+$/m);
    expect(text).toMatch(/^edgewatt_serve_request_latency_seconds_count [1-9]\d*$/m);
    expect(text).toMatch(
      /edgewatt_serve_energy_joules_total\{part="requests",provenance="estimated"\} [0-9.e-]+/,
    );
    expect(text).toContain('ESTIMATE');
    const status = await call(`${plainUrl}/v1/status`);
    expect(status.body).toMatchObject({
      state: 'ready',
      server: { id: 'dc-test-1', region: 'FR', pueClass: 'hyperscale' },
      model: { variant: 'cnn-base', inputShape: [28, 28, 1] },
      energy: { provenance: 'estimated' },
    });
  });

  it('serves over TLS and answers 429 with Retry-After when its queue is full', async () => {
    // Six requests read in one turn (test/support/one-turn.ts): two take the queue's two places
    // before any is dispatched, the other four are refused. Sent at once only, on a loaded machine
    // they could arrive spread out, each finding a place.
    const burst = await prepareBurst(
      secure.child,
      Array.from({ length: 6 }, () => ({ url: `${secureUrl}/v1/infer`, ...SINGLE, ca })),
    );
    let answers: Answer[];
    try {
      answers = await Promise.all(await burst.send());
    } finally {
      burst.close();
    }
    const statuses = answers.map((a) => a.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    const refused = answers.find((a) => a.status === 429);
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused?.body.error).toBe('queue-full');
    await expect(call(`${secureUrl}/v1/status`)).rejects.toThrow(); // no CA: the handshake fails
  });

  it('keeps answering /metrics and refusing with 429 while a long batch computes (the model has its own thread)', async () => {
    const requests = async () =>
      ((await call(`${secureUrl}/v1/status`, { ca })).body.batching as { requests: number }).requests;
    // The three single inputs below get their connections now, so that they can be delivered
    // in one turn of the server while the batch computes (test/support/one-turn.ts).
    const burst = await prepareBurst(
      secure.child,
      Array.from({ length: 3 }, () => ({ url: `${secureUrl}/v1/infer`, ...SINGLE, ca })),
    );
    onTestFinished(() => burst.close());
    const before = await requests();
    const sentMs = performance.now();
    let heavyAnsweredMs = Number.POSITIVE_INFINITY;
    // 1,024 inputs in one request: one model call of seconds on this machine (asserted below).
    const heavy = call(`${secureUrl}/v1/infer`, { ...LONG, ca }).then((answer) => {
      heavyAnsweredMs = performance.now();
      return answer;
    });
    // Once the batch is dispatched it computes; on a thread shared with HTTP this poll could only
    // be answered after the batch, and so could everything below.
    const deadline = Date.now() + 20_000;
    while ((await requests()) < before + 1) {
      if (Date.now() > deadline) throw new Error('the long batch was never dispatched');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const askedMs = performance.now();
    const metrics = await call(`${secureUrl}/metrics`, { ca });
    const metricsAnsweredMs = performance.now();
    // Two places in the queue (max batch 1): of three single inputs, one is refused at once.
    const small = (await burst.send()).map((sent) => sent.then((answer) => ({ answer, atMs: answer.atMs })));
    // The first 429 to arrive (null when none of the three was refused).
    const refused = await Promise.race([
      ...small.map((p) =>
        p.then((result) => (result.answer.status === 429 ? result : new Promise<never>(() => {}))),
      ),
      Promise.all(small).then(() => null),
    ]);
    const answer = await heavy;
    await Promise.all(small);
    expect(answer.status).toBe(200);
    const computeS = (answer.body.batch as { computeS: number }).computeS;
    // Long enough for "during the batch" to mean something (a /metrics answer takes about a
    // millisecond); 1,024 inputs, the most one request may carry, took 0.30 s on a quiet machine,
    // 2 s under load, so the bound is well below that.
    expect(computeS).toBeGreaterThan(0.1);
    expect(metrics.status).toBe(200);
    expect(String(metrics.body.text)).toMatch(/^edgewatt_serve_batches_total \d+$/m);
    expect(metricsAnsweredMs).toBeLessThan(heavyAnsweredMs);
    // Relative, not a fixed number of ms (a loaded machine slows both): /metrics, TLS handshake
    // included, took less than the batch's compute time, so it did not wait for the batch.
    expect(metricsAnsweredMs - askedMs).toBeLessThan(computeS * 1000);
    expect(refused?.answer.body.error).toBe('queue-full');
    expect(refused?.atMs).toBeLessThan(heavyAnsweredMs);
    expect(heavyAnsweredMs - sentMs).toBeGreaterThan(computeS * 1000);
  });

  it('refuses to start without credentials, with --insecure-no-auth beyond loopback, or with half of TLS', async () => {
    const refusals = [
      { args: [], says: '--credentials <file>' },
      { args: ['--insecure-no-auth', '--listen', '0.0.0.0:0'], says: 'loopback only' },
      {
        args: ['--insecure-no-auth', '--tls-cert', join(dir.path, 'server.crt')],
        says: '--tls-key go together',
      },
    ];
    const runs = refusals.map(({ args }) => runCli(['serve', '--model', ZOO_MODEL, ...args]));
    for (const [i, run] of runs.entries()) {
      expect(await run.exited).toEqual({ code: 1, signal: null });
      expect(run.stderr()).toContain(refusals[i]?.says);
    }
  });

  it('on SIGTERM answers the requests in flight, then exits 0', async () => {
    const batching = async () =>
      (await call(`${secureUrl}/v1/status`, { ca })).body.batching as {
        queueDepth: number;
        requests: number;
      };
    const dispatched = async () => (await batching()).requests;
    const held = async () => {
      const now = await batching();
      return now.requests + now.queueDepth; // dispatched so far + waiting now
    };
    const waitFor = async (count: () => Promise<number>, atLeast: number, what: string) => {
      const deadline = Date.now() + 20_000;
      while ((await count()) < atLeast) {
        if (Date.now() > deadline) throw new Error(`the server never ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const before = await dispatched();
    // The queue has two places (max batch 1): three requests arriving in one turn of the server's
    // event loop, before the first is dispatched, would see a full queue and one would get 429. So the
    // first is sent and dispatched, then the other two wait behind it.
    const first = call(`${secureUrl}/v1/infer`, { ...HEAVY, ca });
    await waitFor(dispatched, before + 1, 'dispatched the first request');
    const inFlight = [
      first,
      ...Array.from({ length: 2 }, () => call(`${secureUrl}/v1/infer`, { ...HEAVY, ca })),
    ];
    // Stop it once it holds all three (running or queued): a request that arrives later gets 503.
    await waitFor(held, before + 3, 'held the three requests');
    secure.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(await secure.exited).toEqual({ code: 0, signal: null });
  });
});
