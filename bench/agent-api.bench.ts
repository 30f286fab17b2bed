// Overhead of the agent's local API (issue 14): one zoo CNN inference through POST /v1/infer vs
// agent.infer() in-process vs the bare model call, interleaved in one run (median, p95). HTTP is
// measured with the client in this process (it shares the thread and the 2 cores with the server)
// and from a separate process (bench/api-client.ts, as a real application calls it), over TCP
// loopback and over a Unix socket. Next to each, baselines that take the same request body in the
// same interleaved run: a bare node:http server answering a fixed small JSON (the transport floor:
// kernel, wake-ups, HTTP parsing on both sides), a trivial route on the API's own fastify instance
// (options, hooks, parsers), and a route on it that runs agent.infer() on a prepared input, so
// the HTTP overhead splits into floor, fastify, the model run inside a request, and our route.
// POST /v1/infer with a raw body takes the API's fast path below fastify (agent/api/fast-infer.ts):
// its baseline is the bare node:http server running agent.infer() on the prepared input. The same
// request with a query string goes through fastify's route, measured beside it.
// The work agent.infer() leaves for after its answer (its record, tallies: agent/serve/queue.ts
// defer()) is done between paths, outside every path's timing, and printed on its own. Beside
// agent.infer() over the bare call, each call's time outside its model window (which both paths
// open and close alike) is compared too: the model call's own call-to-call differences (another
// process taking the core, where its buffers land) drop out of that line.
// Then queue throughput under 64 concurrent HTTP clients and the agent's memory with the API on.
// Run: npm run bench:api (at a quiet moment: the figures are for the README).

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Agent as HttpAgent, request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../agent/agent.js';
import { buildApi, listenApi, type RunningApi } from '../agent/api/server.js';
import { runInference } from '../agent/measure/runner.js';
import { loadRuntime } from '../runtime/backend.js';
import { machineLine } from './machine.js';

const MODEL = new URL('../models/zoo/cnn-base', import.meta.url).pathname;
const ROUNDS = Number(process.env.EDGEWATT_BENCH_ROUNDS ?? 400);
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
/** What the null baselines answer: a fixed small JSON. */
const NULL_ANSWER = { ok: true };
const NULL_BYTES = Buffer.from(JSON.stringify(NULL_ANSWER));
const values = new Float32Array(784).fill(0.3);
const body = Buffer.from(values.buffer);
const headers = { 'content-type': 'application/octet-stream', 'x-edgewatt-shape': '28,28,1' };
/**
 * What each HTTP series asks, from the cheapest: a bare node:http server (the transport floor);
 * the same running agent.infer() on the prepared input first (the fast path's baseline); a trivial route on the API's own fastify instance (+ fastify); a route on it that runs
 * agent.infer() on the bench's prepared input and answers the fixed JSON (+ the model run inside
 * a request: HTTP work next to a model call finds colder caches); POST /v1/infer through
 * fastify's route (+ our route: decoding the body, the answer's JSON), sent with a query string
 * that the fast path leaves to fastify; POST /v1/infer as applications send it (the fast path).
 * Each is sent the same body and headers.
 */
const TARGETS = ['bare', 'bareFixed', 'null', 'fixed', 'routed', 'infer'] as const;
type Target = (typeof TARGETS)[number];
/** The targets on a bare node:http server of the bench's, not on the API. */
type BareTarget = 'bare' | 'bareFixed';
const isBare = (target: Target): target is BareTarget => target === 'bare' || target === 'bareFixed';
const ROUTE_OF: Record<Exclude<Target, BareTarget>, string> = {
  null: '/bench/null',
  fixed: '/bench/infer-fixed',
  routed: '/v1/infer?via=fastify',
  infer: '/v1/infer',
};
/** The API's fastify instance (same options, hooks, parsers) with the two baseline routes added. */
async function apiWithBaselines(listen: Parameters<typeof listenApi>[1]): Promise<RunningApi> {
  const built = buildApi(agent, {});
  const { app } = built;
  app.post(ROUTE_OF.null, async (_request, reply) => reply.send(NULL_ANSWER));
  app.post(ROUTE_OF.fixed, async (_request, reply) => {
    await agent.infer({ values, count: 1 });
    return reply.send(NULL_ANSWER);
  });
  return listenApi(built, listen);
}
/**
 * The transport floor: node:http reads the body and answers the same bytes in one write; with
 * `infer`, it runs agent.infer() on the prepared input first (the fast path's baseline: the model
 * run inside a request, without fastify).
 */
async function bareServer(
  listen: { port: number; host: string } | { path: string },
  infer = false,
): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = () => {
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': NULL_BYTES.length,
        });
        res.end(NULL_BYTES);
      };
      if (infer) void agent.infer({ values, count: 1 }).then(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(listen, resolve));
  return server;
}
const api = await apiWithBaselines({ kind: 'tcp', host: '127.0.0.1', port: 0 });
// A second listener on the same agent (same queue), as an application on the board may use.
const socketPath = join(dir, 'api.sock');
const unixApi = await apiWithBaselines({ kind: 'unix', path: socketPath });
const bareServers = {
  bare: {
    tcp: await bareServer({ host: '127.0.0.1', port: 0 }),
    socketPath: join(dir, 'bare.sock'),
  },
  bareFixed: {
    tcp: await bareServer({ host: '127.0.0.1', port: 0 }, true),
    socketPath: join(dir, 'bare-fixed.sock'),
  },
};
const bareUnix = [
  await bareServer({ path: bareServers.bare.socketPath }),
  await bareServer({ path: bareServers.bareFixed.socketPath }, true),
];
const bareTcpPort = (target: BareTarget) =>
  String((bareServers[target].tcp.address() as { port: number }).port);
const { tf } = await loadRuntime();
// The bare model call: the model the agent runs, on a tensor made outside the timing, as the runner does.
const model = (agent as unknown as { model: Parameters<typeof runInference>[0] }).model;

// A lean keep-alive client (node:http, Nagle off), so the figure is the server's path more than
// fetch's. Each series has its own connection; /v1/infer's pool also serves the 64 clients below.
const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 64 });
const agentOf: Record<Target, HttpAgent> = {
  bare: new HttpAgent({ keepAlive: true, maxSockets: 1 }),
  bareFixed: new HttpAgent({ keepAlive: true, maxSockets: 1 }),
  null: new HttpAgent({ keepAlive: true, maxSockets: 1 }),
  fixed: new HttpAgent({ keepAlive: true, maxSockets: 1 }),
  routed: new HttpAgent({ keepAlive: true, maxSockets: 1 }),
  infer: keepAlive,
};
const url = new URL(api.address);
const noDelay = (socket: Socket) => socket.setNoDelay(true);
function post(target: Target = 'infer'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: isBare(target) ? bareTcpPort(target) : url.port,
        path: isBare(target) ? '/' : ROUTE_OF[target],
        method: 'POST',
        agent: agentOf[target],
        headers: { ...headers, 'content-length': body.length },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.once('socket', noDelay);
    req.end(body);
  });
}

/** A client in its own process, driven over IPC one request at a time; it reports the latency it saw. */
interface RemoteClient {
  child: ChildProcess;
  one(target: string): Promise<number>;
}
async function remoteClient(targets: { name: string; url: string }[]): Promise<RemoteClient> {
  const child = fork(new URL('./api-client.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
  });
  const reply = () =>
    new Promise<{ kind: string; ms?: number; status?: number; message?: string }>((resolve) =>
      child.once('message', resolve),
    );
  const bodyBase64 = body.toString('base64');
  child.send({ kind: 'setup', targets: targets.map((t) => ({ ...t, headers, bodyBase64 })) });
  await reply();
  return {
    child,
    async one(target) {
      child.send({ kind: 'one', target });
      const answer = await reply();
      if (answer.kind !== 'done' || answer.status !== 200)
        throw new Error(`the separate-process client failed on ${target}: ${JSON.stringify(answer)}`);
      return answer.ms ?? Number.NaN;
    },
  };
}
const remote = await remoteClient(
  TARGETS.flatMap((target) => [
    {
      name: `tcp-${target}`,
      url: isBare(target) ? `http://127.0.0.1:${bareTcpPort(target)}/` : `${api.address}${ROUTE_OF[target]}`,
    },
    {
      name: `unix-${target}`,
      url: isBare(target)
        ? `unix:${bareServers[target].socketPath}:/`
        : `unix:${socketPath}:${ROUTE_OF[target]}`,
    },
  ]),
);

/** The HTTP series: each target from the in-process client, and from the client process over TCP and a Unix socket. */
const CLIENTS = ['in-process', 'tcp', 'unix'] as const;
type Client = (typeof CLIENTS)[number];
const series = new Map<string, number[]>(
  CLIENTS.flatMap((client) => TARGETS.map((target) => [`${client}-${target}`, []] as [string, number[]])),
);
const seriesOf = (client: Client, target: Target) => series.get(`${client}-${target}`) ?? [];
const predictOnly: number[] = [];
const bare: number[] = [];
const inProcess: number[] = [];
/**
 * Each call's time outside its model window (the runner's startNs..endNs, which both paths open
 * and close alike): what the path adds beyond the model call itself, whatever the model call took
 * that time (its own run-to-run differences drop out).
 */
const bareOutside: number[] = [];
const inProcessOutside: number[] = [];
/** agent.infer()'s deferred work (record, tallies) after each call, done outside the timings. */
const afterAnswer: number[] = [];
for (let i = 0; i < 20; i++)
  for (const target of TARGETS) {
    await post(target);
    await remote.one(`tcp-${target}`);
    await remote.one(`unix-${target}`);
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
      const { window } = runInference(model, tensor);
      tensor.dispose();
      const ms = performance.now() - t;
      bareOutside.push(ms - Number(window.endNs - window.startNs) / 1e6);
      return ms;
    },
  },
  {
    into: inProcess,
    time: async () => {
      const t = performance.now();
      const answer = await agent.infer({ values, count: 1 });
      const ms = performance.now() - t;
      // latencyMs is the window's duration, in whole µs as the record has it.
      inProcessOutside.push(ms - answer.latencyMs);
      return ms;
    },
  },
  ...TARGETS.flatMap((target) => [
    {
      into: seriesOf('in-process', target),
      time: async () => {
        const t = performance.now();
        await post(target);
        return performance.now() - t;
      },
    },
    { into: seriesOf('tcp', target), time: () => remote.one(`tcp-${target}`) },
    { into: seriesOf('unix', target), time: () => remote.one(`unix-${target}`) },
  ]),
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
    if (path === undefined) continue;
    path.into.push(await path.time());
    // What agent.infer() leaves for after its answer is done here, outside every path's timing
    // (else it would fall into whichever path ran next), and timed on its own: the in-process
    // path's cost on the same thread, though not in its caller's wait.
    const settleStart = performance.now();
    agent.queue.settle();
    if (path.into === inProcess) afterAnswer.push(performance.now() - settleStart);
  }
}
const loadAfter = loadavg();

// 64 concurrent clients, each sending requests back to back for the duration.
const DURATION_MS = Number(process.env.EDGEWATT_BENCH_CONCURRENT_MS ?? 5000);
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
console.log(
  `  outside the model's window         bare call ${(median(bareOutside) * 1000).toFixed(1)} µs, agent.infer() ${(median(inProcessOutside) * 1000).toFixed(1)} µs median: +${((median(inProcessOutside) - median(bareOutside)) * 1000).toFixed(1)} µs (the model call's own differences left out)`,
);
console.log(
  `  after its answer (record, tallies) median ${(median(afterAnswer) * 1000).toFixed(1)} µs, p95 ${(quantile(afterAnswer, 0.95) * 1000).toFixed(1)} µs (same thread, outside the caller's wait)`,
);
const HOW: Record<Client, string> = {
  'in-process': 'client in this process, TCP loopback',
  tcp: 'client process, TCP loopback',
  unix: 'client process, Unix socket',
};
const LABEL: Record<Target, string> = {
  infer: 'POST /v1/infer (fast path)',
  routed: '  POST /v1/infer via fastify',
  fixed: '  route: agent.infer(), fixed JSON',
  null: '  route: fixed JSON (fastify)',
  bareFixed: '  node:http: agent.infer(), fixed JSON',
  bare: '  node:http, fixed JSON',
};
for (const client of CLIENTS) {
  console.log(`HTTP, ${HOW[client]}:`);
  for (const target of [...TARGETS].reverse()) {
    const xs = seriesOf(client, target);
    const overhead = target === 'infer' || target === 'routed' ? `  (${httpOver(xs)})` : '';
    console.log(`  ${LABEL[target].padEnd(36)} ${fmt(xs)}${overhead}`);
  }
}
// The HTTP overhead over agent.infer() by layer, each a difference of medians.
const us = (ms: number) => `${ms >= 0 ? '+' : ''}${(ms * 1000).toFixed(0)} µs`;
console.log('HTTP overhead over agent.infer() at the median, by layer:');
for (const client of CLIENTS) {
  const m = (target: Target) => median(seriesOf(client, target));
  const parts = [
    `node:http floor ${us(m('bare'))}`,
    `fastify ${us(m('null') - m('bare'))}`,
    `model run inside a request ${us(m('fixed') - m('null') - median(inProcess))}`,
    `our route ${us(m('routed') - m('fixed'))}`,
  ];
  console.log(`  ${HOW[client]}:`);
  console.log(`    via fastify ${us(m('routed') - median(inProcess))} = ${parts.join(' + ')}`);
  // The fast path has no fastify layer: over the floor is its own work with the model run inside it.
  console.log(
    `    fast path   ${us(m('infer') - median(inProcess))} = node:http floor ${us(m('bare'))} + model run inside a request ${us(m('bareFixed') - m('bare') - median(inProcess))} + the fast path ${us(m('infer') - m('bareFixed'))}`,
  );
}
const servedBy = (key: 'fastPath' | 'routed') => api.stats.infer[key] + unixApi.stats.infer[key];
console.log(
  `POST /v1/infer requests served: ${servedBy('fastPath')} by the fast path, ${servedBy('routed')} by fastify's route`,
);
if (DURATION_MS > 0)
  console.log(
    `64 concurrent clients: ${(served / (DURATION_MS / 1000)).toFixed(0)} inferences/s served, ${refused} answered 429`,
  );
console.log(`agent RSS with the API on: ${(rss / 2 ** 20).toFixed(0)} MiB`);
for (const httpAgent of Object.values(agentOf)) httpAgent.destroy();
remote.child.send({ kind: 'exit' });
await Promise.all(
  [bareServers.bare.tcp, bareServers.bareFixed.tcp, ...bareUnix].map(
    (server) => new Promise((resolve) => server.close(resolve)),
  ),
);
await unixApi.close();
await api.close();
await agent.stop(0);
rmSync(dir, { recursive: true, force: true });
