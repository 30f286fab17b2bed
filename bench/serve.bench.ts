// `edgewatt serve` under load (issue 16 figures): (1) throughput and server energy per request vs
// the max batch size (1, 4, 16, 64) for the zoo CNN, closed loop with 2 × max batch clients; (2)
// the dynamic batcher's latency (p50/p95, client and server side) at offered 10, 100 and 1,000
// requests/s, open loop (requests leave on schedule whether or not answers came back) at the
// default batching (max batch 16, max queue delay 5 ms, queue 256). The server runs as its own
// process (bin/edgewatt.js, so dist/ must be built); its energy here is the host-power ESTIMATE
// unless RAPL or NVML is readable: the table says which.
// Run: npm run build && npm run bench:serve

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent as HttpAgent, request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { machineLine } from './machine.js';

const BIN = fileURLToPath(new URL('../bin/edgewatt.js', import.meta.url));
const MODEL = fileURLToPath(new URL('../models/zoo/cnn-base', import.meta.url));
const BODY = Buffer.from(new Float32Array(784).fill(0.3).buffer);
const HEADERS = {
  'content-type': 'application/octet-stream',
  'x-edgewatt-shape': '28,28,1',
  'content-length': String(BODY.length),
};
const THROUGHPUT_S = Number(process.env.BENCH_SERVE_SECONDS ?? 5);
const RATE_S = Number(process.env.BENCH_SERVE_RATE_SECONDS ?? 4);

interface Answer {
  status: number;
  clientS: number;
  body?: {
    latencyS: number;
    batch: { size: number };
    energy: { requestJ: number; idleShareJ: number; provenance: string; method: string };
  };
}

const quantile = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function startServer(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--model',
      MODEL,
      '--insecure-no-auth',
      '--listen',
      `127.0.0.1:${port}`,
      '--grid-region',
      'bench',
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EDGEWATT_LOG_LEVEL: 'warn' } },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!stderr.includes('ready on')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, port };
}

async function stopServer(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  if (child.exitCode === null) await once(child, 'exit');
}

function post(port: number, agent: HttpAgent): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/infer', method: 'POST', agent, headers: HEADERS },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => {
          const clientS = (performance.now() - started) / 1000;
          resolve({
            status: res.statusCode ?? 0,
            clientS,
            ...(res.statusCode === 200 ? { body: JSON.parse(text) } : {}),
          });
        });
      },
    );
    req.on('error', () => resolve({ status: 0, clientS: (performance.now() - started) / 1000 }));
    req.end(BODY);
  });
}

/** Closed loop: `clients` connections each send the next request when the last is answered. */
async function closedLoop(port: number, clients: number, seconds: number): Promise<Answer[]> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: clients });
  const answers: Answer[] = [];
  const endAt = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < endAt) answers.push(await post(port, agent));
    }),
  );
  agent.destroy();
  return answers;
}

/** Open loop: requests leave at `rate` per second on schedule, answered or not. */
async function openLoop(port: number, rate: number, seconds: number): Promise<Answer[]> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 2048 });
  const pending: Promise<Answer>[] = [];
  const startedMs = performance.now();
  const total = Math.round(rate * seconds);
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - startedMs) / 1000) * rate) + 1);
    while (sent < due) {
      pending.push(post(port, agent));
      sent++;
    }
    const nextMs = startedMs + (sent / rate) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextMs - performance.now())));
  }
  const answers = await Promise.all(pending);
  agent.destroy();
  return answers;
}

const warm = async (port: number) => {
  const agent = new HttpAgent({ keepAlive: true });
  for (let i = 0; i < 20; i++) await post(port, agent);
  agent.destroy();
};

console.log(`edgewatt serve benchmark — ${machineLine()}`);
console.log(
  `model: zoo cnn-base (28×28×1 → 10), raw float32 requests of one input, keep-alive HTTP on loopback\n`,
);

let provenance = '';
let method = '';
console.log(
  `1. Throughput and server energy per request vs max batch size (closed loop, 2 × max batch clients, ${THROUGHPUT_S} s each)`,
);
console.log(
  '| max batch | clients | requests/s | mean batch | p50 latency (server) | energy/request above idle | idle share/request | refused |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const maxBatch of [1, 4, 16, 64]) {
  const { child, port } = await startServer([
    '--max-batch-size',
    String(maxBatch),
    '--max-queue-delay-ms',
    '5',
    '--max-queue',
    '1024',
  ]);
  try {
    await warm(port);
    const clients = 2 * maxBatch;
    const answers = await closedLoop(port, clients, THROUGHPUT_S);
    const ok = answers.filter((a) => a.body !== undefined);
    const bodies = ok.map((a) => a.body as NonNullable<Answer['body']>);
    provenance = bodies[0]?.energy.provenance ?? provenance;
    method = bodies[0]?.energy.method ?? method;
    console.log(
      `| ${maxBatch} | ${clients} | ${(ok.length / THROUGHPUT_S).toFixed(0)} | ${mean(bodies.map((b) => b.batch.size)).toFixed(1)} | ${(
        quantile(
          bodies.map((b) => b.latencyS),
          0.5,
        ) * 1000
      ).toFixed(
        1,
      )} ms | ${(mean(bodies.map((b) => b.energy.requestJ)) * 1000).toFixed(2)} mJ | ${(mean(bodies.map((b) => b.energy.idleShareJ)) * 1000).toFixed(2)} mJ | ${answers.length - ok.length} |`,
    );
  } finally {
    await stopServer(child);
  }
}
console.log(
  `\nenergy provenance: ${provenance}${provenance === 'estimated' ? ' (ESTIMATE)' : ''}; method: ${method}\n`,
);

console.log(
  `2. Dynamic batcher latency at offered load (open loop, ${RATE_S} s each; max batch 16, max queue delay 5 ms, queue 256)`,
);
console.log(
  '| offered req/s | answered / sent | 429 | mean batch | client p50 | client p95 | server p50 | server p95 |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
{
  const { child, port } = await startServer([]);
  try {
    await warm(port);
    for (const rate of [10, 100, 1000]) {
      const answers = await openLoop(port, rate, RATE_S);
      const ok = answers.filter((a) => a.body !== undefined);
      const bodies = ok.map((a) => a.body as NonNullable<Answer['body']>);
      const ms = (xs: number[], q: number) => `${(quantile(xs, q) * 1000).toFixed(1)} ms`;
      console.log(
        `| ${rate} | ${ok.length} / ${answers.length} | ${answers.filter((a) => a.status === 429).length} | ${mean(bodies.map((b) => b.batch.size)).toFixed(1)} | ${ms(
          ok.map((a) => a.clientS),
          0.5,
        )} | ${ms(
          ok.map((a) => a.clientS),
          0.95,
        )} | ${ms(
          bodies.map((b) => b.latencyS),
          0.5,
        )} | ${ms(
          bodies.map((b) => b.latencyS),
          0.95,
        )} |`,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await stopServer(child);
  }
}
