// Overhead of the agent's local API (issue 14): one zoo CNN inference through POST /v1/infer vs
// agent.infer() in-process vs the bare model call, interleaved in one run (median, p95). HTTP is
// measured twice: with the client in this process (it shares the thread and the 2 cores with the
// server) and from a separate process (bench/api-client.ts, as a real application calls it), over
// TCP loopback and over a Unix socket. Then queue throughput under 64 concurrent HTTP clients and
// the agent's memory with the API on.
// Run: npm run bench:api (at a quiet moment: the figures are for the README).

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent as HttpAgent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
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
// A second listener on the same agent (same queue), as an application on the board may use.
const socketPath = join(dir, 'api.sock');
const unixApi = await startApi(agent, { listen: { kind: 'unix', path: socketPath } });
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

/** A client in its own process, driven over IPC one request at a time; it reports the latency it saw. */
interface RemoteClient {
  child: ChildProcess;
  one(): Promise<number>;
}
async function remoteClient(target: string): Promise<RemoteClient> {
  const child = fork(new URL('./api-client.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
  });
  const reply = () =>
    new Promise<{ kind: string; ms?: number; status?: number; message?: string }>((resolve) =>
      child.once('message', resolve),
    );
  child.send({ kind: 'setup', url: target, headers, bodyBase64: body.toString('base64') });
  await reply();
  return {
    child,
    async one() {
      child.send({ kind: 'one' });
      const answer = await reply();
      if (answer.kind !== 'done' || answer.status !== 200)
        throw new Error(`the separate-process client failed: ${JSON.stringify(answer)}`);
      return answer.ms ?? Number.NaN;
    },
  };
}
const tcpClient = await remoteClient(`${api.address}/v1/infer`);
const unixClient = await remoteClient(`unix:${socketPath}:/v1/infer`);

const predictOnly: number[] = [];
const bare: number[] = [];
const inProcess: number[] = [];
const http: number[] = [];
const httpRemote: number[] = [];
const httpUnix: number[] = [];
for (let i = 0; i < 20; i++) {
  await post();
  await tcpClient.one();
  await unixClient.one();
}
const loadBefore = loadavg();
/** One measurement of each path; each round runs them in a shuffled order. */
const paths: { into: number[]; time: () => Promise<number> | number }[] = [
  {
    into: predictOnly,
    time: () => {
      const t = performance.now();
      const tensor = tf.tensor(values, [1, 28, 28, 1]);
      const output = model.predict(tensor);
      output.dataSync();
      output.dispose();
      tensor.dispose();
      return performance.now() - t;
    },
  },
  {
    into: bare,
    time: () => {
      const t = performance.now();
      const tensor = tf.tensor(values, [1, 28, 28, 1]);
      runInference(model, tensor);
      tensor.dispose();
      return performance.now() - t;
    },
  },
  {
    into: inProcess,
    time: async () => {
      const t = performance.now();
      await agent.infer({ values, count: 1 });
      return performance.now() - t;
    },
  },
  {
    into: http,
    time: async () => {
      const t = performance.now();
      await post();
      return performance.now() - t;
    },
  },
  { into: httpRemote, time: () => tcpClient.one() },
  { into: httpUnix, time: () => unixClient.one() },
];
// A seeded shuffle per round (same order on every run): a fixed or rotated cycle would make each
// path always follow the same one, and the call after an IPC wait finds colder caches.
let seed = 14;
const nextRandom = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
for (let i = 0; i < ROUNDS; i++) {
  // Interleaved, so that drift of the machine hits them alike.
  const order = paths.map((_, k) => k);
  for (let k = order.length - 1; k > 0; k--) {
    const j = Math.floor(nextRandom() * (k + 1));
    [order[k], order[j]] = [order[j] ?? k, order[k] ?? j];
  }
  for (const k of order) {
    const path = paths[k];
    if (path !== undefined) path.into.push(await path.time());
  }
}
const loadAfter = loadavg();

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

const median = (xs: number[]) => quantile(xs, 0.5);
const over = (xs: number[], base: number[]) =>
  `+${((median(xs) - median(base)) * 1000).toFixed(0)} µs median (${((median(xs) / median(base) - 1) * 100).toFixed(1)} %), p95 +${((quantile(xs, 0.95) - quantile(base, 0.95)) * 1000).toFixed(0)} µs`;
const httpOver = (xs: number[]) =>
  `+${(median(xs) - median(inProcess)).toFixed(3)} ms median, p95 +${(quantile(xs, 0.95) - quantile(inProcess, 0.95)).toFixed(3)} ms over agent.infer()`;
console.log(machineLine());
console.log(
  `load average (1 min) ${loadBefore[0]?.toFixed(2)} before, ${loadAfter[0]?.toFixed(2)} after the ${ROUNDS} rounds`,
);
console.log(`model.predict + dataSync          ${fmt(predictOnly)}`);
console.log(
  `bare model call (runner window)   ${fmt(bare)}  (${over(bare, predictOnly)} for the window's clocks)`,
);
console.log(
  `agent.infer()                     ${fmt(inProcess)}  (${over(inProcess, bare)} over the bare call)`,
);
console.log(`POST /v1/infer, client in-process ${fmt(http)}  (${httpOver(http)})`);
console.log(`POST /v1/infer, client process    ${fmt(httpRemote)}  (${httpOver(httpRemote)}; TCP loopback)`);
console.log(`POST /v1/infer, client process    ${fmt(httpUnix)}  (${httpOver(httpUnix)}; Unix socket)`);
console.log(
  `64 concurrent clients: ${(served / (DURATION_MS / 1000)).toFixed(0)} inferences/s served, ${refused} answered 429`,
);
console.log(`agent RSS with the API on: ${(rss / 2 ** 20).toFixed(0)} MiB`);
keepAlive.destroy();
for (const client of [tcpClient, unixClient]) client.child.send({ kind: 'exit' });
await unixApi.close();
await api.close();
await agent.stop(0);
rmSync(dir, { recursive: true, force: true });
