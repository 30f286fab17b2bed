// Overhead of the agent's local API (issue 14): one zoo CNN inference through POST /v1/infer vs
// agent.infer() in-process vs the bare model call, interleaved in one run (median, p95); queue
// throughput under 64 concurrent HTTP clients; the agent's memory with the API on.
// Run: npm run bench:api (at a quiet moment: the figures are for the README).

import { mkdtempSync, rmSync } from 'node:fs';
import { Agent as HttpAgent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../agent/agent.js';
import { startApi } from '../agent/api/server.js';
import { runInference } from '../agent/measure/runner.js';
import { loadRuntime } from '../runtime/backend.js';
import { machineLine } from './machine.js';

const MODEL = new URL('../models/zoo/cnn-base', import.meta.url).pathname;
const ROUNDS = 400;
const dir = mkdtempSync(join(tmpdir(), 'edgewatt-bench-api-'));

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};
const fmt = (xs: number[]) =>
  `median ${quantile(xs, 0.5).toFixed(3)} ms, p95 ${quantile(xs, 0.95).toFixed(3)} ms`;

const agent = await Agent.start({
  broker: 'mqtt://127.0.0.1:1', // none: records wait in the spool, as on a board offline
  fleet: 'bench',
  device: 'api',
  sensor: 'simulated:rpi4',
  model: MODEL,
  allowUnsigned: true,
  warmup: 50,
  rate: 0,
  count: 0,
  stateDir: join(dir, 'state'),
  batchMax: 50,
  flushMs: 1000,
  encoding: 'cbor',
  batchSize: 1,
  inputs: null,
  queueMax: 64,
  spool: { fsync: 'never' },
});
const api = await startApi(agent, { listen: { kind: 'tcp', host: '127.0.0.1', port: 0 } });
const { tf } = await loadRuntime();
const values = new Float32Array(784).fill(0.3);
const body = Buffer.from(values.buffer);
const headers = { 'content-type': 'application/octet-stream', 'x-edgewatt-shape': '28,28,1' };
// The bare model call: the model the agent runs, on a tensor made outside the timing, as the runner does.
const model = (agent as unknown as { model: Parameters<typeof runInference>[0] }).model;

// A lean keep-alive client (node:http), so the figure is the server's path more than fetch's.
const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 64 });
const url = new URL(`${api.address}/v1/infer`);
function post(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: keepAlive,
        headers: { ...headers, 'content-length': body.length },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const bare: number[] = [];
const inProcess: number[] = [];
const http: number[] = [];
for (let i = 0; i < 20; i++) await post();
for (let i = 0; i < ROUNDS; i++) {
  // Interleaved, so that drift of the machine hits the three alike.
  let t = performance.now();
  const tensor = tf.tensor(values, [1, 28, 28, 1]);
  runInference(model, tensor);
  tensor.dispose();
  bare.push(performance.now() - t);
  t = performance.now();
  await agent.infer({ values, count: 1 });
  inProcess.push(performance.now() - t);
  t = performance.now();
  await post();
  http.push(performance.now() - t);
}

// 64 concurrent clients, each sending requests back to back for the duration.
const DURATION_MS = 5000;
let served = 0;
let refused = 0;
const until = performance.now() + DURATION_MS;
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (performance.now() < until) {
      const status = await post();
      if (status === 200) served++;
      else if (status === 429) {
        refused++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  }),
);
const rss = process.memoryUsage().rss;

console.log(machineLine());
console.log(`bare model call        ${fmt(bare)}`);
console.log(
  `agent.infer()          ${fmt(inProcess)}  (+${(quantile(inProcess, 0.5) - quantile(bare, 0.5)).toFixed(3)} ms median, ${((quantile(inProcess, 0.5) / quantile(bare, 0.5) - 1) * 100).toFixed(1)} %)`,
);
console.log(
  `POST /v1/infer (HTTP)  ${fmt(http)}  (+${(quantile(http, 0.5) - quantile(inProcess, 0.5)).toFixed(3)} ms median over agent.infer)`,
);
console.log(
  `64 concurrent clients: ${(served / (DURATION_MS / 1000)).toFixed(0)} inferences/s served, ${refused} answered 429`,
);
console.log(`agent RSS with the API on: ${(rss / 2 ** 20).toFixed(0)} MiB`);
keepAlive.destroy();
await api.close();
await agent.stop(0);
rmSync(dir, { recursive: true, force: true });
