// `npm run bench:ingest`: simulated devices publish CBOR batches of 50 through a real Mosquitto to
// the collector (a real `edgewatt collector` process) into a real InfluxDB. Prints sustained
// records/s end to end, and in the same run the raw rates of Mosquitto delivery to a do-nothing
// subscriber and of line-protocol writes into the same InfluxDB, the ratios, and the collector's
// memory and CPU. Everything runs on this machine, so all of them share its cores.
// Options (environment): EDGEWATT_BENCH_DEVICES (100), EDGEWATT_BENCH_BATCHES (400 per device),
// EDGEWATT_BENCH_CONNECTIONS (8), EDGEWATT_BENCH_SHIPPED_ONLY=1, EDGEWATT_BENCH_PROFILE=<dir>,
// EDGEWATT_BENCH_NODE_FLAGS.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { inferenceLines } from '../collector/store/influx-lines.js';
import { type Influxd, startInfluxd } from '../test/support/influxd.js';
import { type Mosquitto, startMosquitto } from '../test/support/mosquitto.js';
import { freePort } from '../test/support/ports.js';
import { tempDir } from '../test/support/stack.js';
import { machineLine } from './machine.js';
import { realisticRecords } from './records.js';

const DEVICES = Number(process.env.EDGEWATT_BENCH_DEVICES ?? 100);
const BATCHES = Number(process.env.EDGEWATT_BENCH_BATCHES ?? 400);
const BATCH_SIZE = 50;
const TOTAL = DEVICES * BATCHES * BATCH_SIZE;
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

function publisher(broker: string): {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<{ seconds: number; cpuUs: number }>;
} {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      here('./ingest-publisher.ts'),
      broker,
      String(DEVICES),
      String(BATCHES),
      String(BATCH_SIZE),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('ready\n')) onReady();
  });
  const result = once(child, 'exit').then(() => JSON.parse(out.split('\n').filter(Boolean).at(-1) ?? '{}'));
  return { child, ready, result };
}

async function count(influx: Influxd, db: string): Promise<number> {
  try {
    const series = await influx.query(db, 'SELECT count("seq") FROM "inference"');
    return Number(series[0]?.values[0]?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function rawMosquitto(broker: string): Promise<number> {
  let received = 0;
  const sub = await mqtt.connectAsync(broker, { clientId: 'bench-null-sub', clean: true });
  sub.on('message', () => {
    received++;
  });
  await sub.subscribeAsync('edgewatt/v1/+/+/inference', { qos: 1 });
  const pub = publisher(broker);
  await pub.ready;
  const started = performance.now();
  pub.child.stdin?.write('go\n');
  while (received < DEVICES * BATCHES) await sleep(5);
  const seconds = (performance.now() - started) / 1000;
  await pub.result;
  await sub.endAsync();
  return TOTAL / seconds;
}

/** The same points, or (`minimal`) the same tags with only `seq` and `energy_j`, to show the per-field cost. */
async function rawInflux(influx: Influxd, concurrency: number, minimal = false): Promise<number> {
  const db = `raw${concurrency}${minimal ? 'min' : ''}`;
  await fetch(`${influx.url}/query?q=${encodeURIComponent(`CREATE DATABASE ${db}`)}`, { method: 'POST' });
  const template = realisticRecords(BATCH_SIZE, 7, 0);
  const bodies: string[] = [];
  const perBody = 5000;
  let lines: string[] = [];
  for (let b = 0; b < BATCHES; b++)
    for (let d = 0; d < DEVICES; d++) {
      const batch = template.map((r, i) => ({
        ...r,
        seq: b * BATCH_SIZE + i,
        startUs: r.startUs + (b * BATCH_SIZE + d) * 1000 + i,
      }));
      // Exactly the points the collector writes for this message (records, plus its io point).
      for (const line of inferenceLines('bench', `sim-${String(d).padStart(4, '0')}`, batch)) {
        if (minimal && !line.startsWith('inference,')) continue;
        lines.push(minimal ? minimalLine(line) : line);
        if (lines.length === perBody) {
          bodies.push(lines.join('\n'));
          lines = [];
        }
      }
    }
  if (lines.length > 0) bodies.push(lines.join('\n'));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const res = await fetch(`${influx.url}/write?db=${db}&precision=n`, { method: 'POST', body });
        if (res.status !== 204) throw new Error(`raw write failed: ${res.status} ${await res.text()}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const stored = await count(influx, db);
  if (stored !== TOTAL) throw new Error(`raw write stored ${stored} of ${TOTAL}`);
  return TOTAL / seconds;
}

function minimalLine(line: string): string {
  const [tags, fields, time] = line.split(' ');
  const keep = (fields ?? '').split(',').filter((f) => f.startsWith('seq=') || f.startsWith('energy_j='));
  return `${tags} ${keep.join(',')} ${time}`;
}

function procStats(pid: number): { rssBytes: number; cpuS: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  return { rssBytes: rssKb * 1024, cpuS: ticks / 100 };
}

interface Variant {
  label: string;
  fsync: boolean;
  connections: number;
}

const RECOMMENDED = Number(process.env.EDGEWATT_BENCH_CONNECTIONS ?? 8);
const ALL_VARIANTS: Variant[] = [
  { label: 'spool fsync on, 1 connection', fsync: true, connections: 1 },
  {
    label: `spool fsync on, ${RECOMMENDED} shared-group connections (recommended)`,
    fsync: true,
    connections: RECOMMENDED,
  },
  {
    label: `spool fsync off, ${RECOMMENDED} shared-group connections`,
    fsync: false,
    connections: RECOMMENDED,
  },
];
// EDGEWATT_BENCH_SHIPPED_ONLY=1: only the shipped config (fsync on, shared-group connections), for a quick check.
const VARIANTS =
  process.env.EDGEWATT_BENCH_SHIPPED_ONLY === '1'
    ? ALL_VARIANTS.filter((v) => v.fsync && v.connections === RECOMMENDED)
    : ALL_VARIANTS;

/** The collector's own counters (GET /metrics): records accepted, points written and still buffered. */
async function collectorProgress(
  metricsUrl: string,
): Promise<{ accepted: number; written: number; buffered: number; bufferedBytes: number }> {
  try {
    const text = await (await fetch(metricsUrl)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
    return {
      accepted: value('edgewatt_records_stored_total'),
      written: value('edgewatt_store_written_total'),
      buffered: value('edgewatt_store_buffer_entries'),
      bufferedBytes: value('edgewatt_store_buffer_bytes'),
    };
  } catch {
    return { accepted: 0, written: 0, buffered: Number.NaN, bufferedBytes: Number.NaN };
  }
}

/** How often the bench reads the collector's /metrics while it runs. */
const POLL_MS = 200;

/** Points the collector writes for a run: one per record, and an inference_io point per message. */
const TOTAL_POINTS = TOTAL + DEVICES * BATCHES;

async function endToEnd(mosquitto: Mosquitto, influx: Influxd, spoolDir: string, variant: Variant) {
  const broker = mosquitto.url;
  const { fsync, connections } = variant;
  const db = `e2e_${fsync ? 'sync' : 'nosync'}_${connections}`;
  const httpPort = await freePort();
  // EDGEWATT_BENCH_PROFILE=<dir>: write a V8 CPU profile of each collector run there.
  const profile = process.env.EDGEWATT_BENCH_PROFILE;
  const collector = spawn(
    process.execPath,
    [
      ...(profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profile]),
      // EDGEWATT_BENCH_NODE_FLAGS: extra Node/V8 flags for the collector (e.g. GC sizing).
      ...(process.env.EDGEWATT_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      here('./ingest-collector.ts'),
      '--broker',
      broker,
      '--store',
      `influxdb://127.0.0.1:${influx.port}/${db}`,
      '--client-id',
      `bench-collector-${db}`,
      '--spool-dir',
      join(spoolDir, db),
      '--spool-fsync',
      fsync ? 'always' : 'never',
      '--shared-group',
      `bench-${db}`,
      '--connections',
      String(connections),
      '--stats-interval',
      '0',
      '--http',
      `127.0.0.1:${httpPort}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EDGEWATT_LOG_LEVEL: 'info' } },
  );
  let log = '';
  collector.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  while (!log.includes('collector subscribed')) {
    if (collector.exitCode !== null) throw new Error(`collector exited: ${log}`);
    await sleep(20);
  }
  const pid = collector.pid as number;
  // The machine is shared: the 1-minute load average when the run starts says how quiet it was.
  const loadAtStart = loadavg()[0] ?? Number.NaN;
  const pub = publisher(broker);
  await pub.ready;
  const cpuBefore = procStats(pid).cpuS;
  // The servers' CPU over the same interval, to show where the two cores went.
  const serverPids = { influxd: influx.pid() as number, mosquitto: mosquitto.pid() as number };
  const serverCpuBefore = {
    influxd: procStats(serverPids.influxd).cpuS,
    mosquitto: procStats(serverPids.mosquitto).cpuS,
  };
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, procStats(pid).rssBytes);
  }, 100);
  const started = performance.now();
  pub.child.stdin?.write('go\n');
  // Done when the collector has accepted every record and its store buffer is empty (its
  // /metrics, cheap to poll); then InfluxDB itself must hold every record.
  const metricsUrl = `http://127.0.0.1:${httpPort}/metrics`;
  // The largest store buffer seen: high means InfluxDB writes were the limit, low means intake.
  let peakBuffered = 0;
  // Spool bytes per buffered point at that peak: what each fsync carries per point.
  let peakBufferedBytes = 0;
  // Sustained rate: between 10 % and 90 % of the points confirmed by InfluxDB, so that neither
  // the start nor the last partial batch (which waits up to --flush-ms) weighs in.
  let at10Ms: number | undefined;
  let at90Ms: number | undefined;
  // Polled every POLL_MS, and each crossing placed between two polls by linear interpolation:
  // /metrics costs the collector CPU (at every 20 ms it was ~2 µs of collector CPU a record, a
  // sixth of all of it), so the bench must not load what it measures.
  let previous = { atMs: performance.now(), written: 0 };
  const crossing = (at: number, written: number, target: number) =>
    previous.atMs +
    ((at - previous.atMs) * (target - previous.written)) / Math.max(1, written - previous.written);
  for (;;) {
    const { accepted, written, buffered, bufferedBytes } = await collectorProgress(metricsUrl);
    const now = performance.now();
    if (buffered > peakBuffered) {
      peakBuffered = buffered;
      peakBufferedBytes = bufferedBytes;
    }
    if (at10Ms === undefined && written >= 0.1 * TOTAL_POINTS)
      at10Ms = crossing(now, written, 0.1 * TOTAL_POINTS);
    if (at90Ms === undefined && written >= 0.9 * TOTAL_POINTS)
      at90Ms = crossing(now, written, 0.9 * TOTAL_POINTS);
    if (Number.isFinite(written)) previous = { atMs: now, written };
    if (accepted >= TOTAL && buffered === 0) break;
    if (now - started > 600_000)
      throw new Error(`only ${accepted} of ${TOTAL} accepted (${buffered} buffered) after 10 min`);
    await sleep(POLL_MS);
  }
  const seconds = (performance.now() - started) / 1000;
  const stored = await count(influx, db);
  if (stored !== TOTAL)
    throw new Error(`InfluxDB holds ${stored} of ${TOTAL} records after the collector drained`);
  clearInterval(sampler);
  const cpuS = procStats(pid).cpuS - cpuBefore;
  const influxdShare = (procStats(serverPids.influxd).cpuS - serverCpuBefore.influxd) / seconds;
  const mosquittoShare = (procStats(serverPids.mosquitto).cpuS - serverCpuBefore.mosquitto) / seconds;
  const { seconds: publishSeconds, cpuUs: publisherCpuUs } = await pub.result;
  const influxdCpuS = influxdShare * seconds;
  const mosquittoCpuS = mosquittoShare * seconds;
  collector.kill('SIGTERM');
  await once(collector, 'exit');
  const sustainedSeconds = ((at90Ms ?? Number.NaN) - (at10Ms ?? Number.NaN)) / 1000;
  return {
    rate: TOTAL / seconds,
    sustainedRate: (0.8 * TOTAL) / sustainedSeconds,
    seconds,
    publishSeconds,
    peakRss,
    cpuShare: cpuS / seconds,
    cpuUsPerRecord: (cpuS * 1e6) / TOTAL,
    influxdShare,
    mosquittoShare,
    // CPU of each process per record over the run: where the two cores went.
    influxdUsPerRecord: (influxdCpuS * 1e6) / TOTAL,
    mosquittoUsPerRecord: (mosquittoCpuS * 1e6) / TOTAL,
    publisherUsPerRecord: publisherCpuUs / TOTAL,
    loadAtStart,
    peakBuffered,
    peakBufferedBytes,
    stored,
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  console.log(
    `Measured on: ${machineLine()}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `${DEVICES} simulated devices × ${BATCHES} batches × ${BATCH_SIZE} records = ${fmt(TOTAL)} records per run\n`,
  );
  const dir = tempDir('edgewatt-bench-ingest-');
  const mosquitto = await startMosquitto({ persistence: false });
  const influx = await startInfluxd();
  try {
    const mqttRate = await rawMosquitto(mosquitto.url);
    console.log(`raw Mosquitto → do-nothing subscriber: ${fmt(mqttRate)} records/s`);
    const influx1 = await rawInflux(influx, 1);
    const influx4 = await rawInflux(influx, 4);
    const influxMinimal = await rawInflux(influx, 4, true);
    console.log(
      `raw line protocol → InfluxDB, 5,000 points per write: ${fmt(influx1)} records/s (1 in flight), ${fmt(influx4)} records/s (4 in flight)`,
    );
    const runs: { variant: Variant; result: Awaited<ReturnType<typeof endToEnd>> }[] = [];
    for (const variant of VARIANTS) {
      const result = await endToEnd(mosquitto, influx, dir.path, variant);
      console.log(
        `end to end (${variant.label}): ${fmt(result.sustainedRate)} records/s sustained, ${fmt(result.rate)} overall`,
      );
      runs.push({ variant, result });
    }
    const rawInfluxBest = Math.max(influx1, influx4);
    const slower = Math.min(mqttRate, rawInfluxBest);
    console.log('\n| path | records/s | ÷ slower raw rate |');
    console.log('|---|---|---|');
    console.log(
      `| raw Mosquitto delivery to a do-nothing subscriber | ${fmt(mqttRate)} | ${(mqttRate / slower).toFixed(2)} |`,
    );
    console.log(
      `| raw line-protocol writes into InfluxDB (best of 1 and 4 in flight) | ${fmt(rawInfluxBest)} | ${(rawInfluxBest / slower).toFixed(2)} |`,
    );
    console.log(
      `| (for scale: raw writes of the same points with 2 fields instead of 6 (and no inference_io points), 4 in flight) | ${fmt(influxMinimal)} | ${(influxMinimal / slower).toFixed(2)} |`,
    );
    for (const { variant, result } of runs) {
      console.log(
        `| end to end, ${variant.label}: sustained (10 %→90 % of points written) | **${fmt(result.sustainedRate)}** | ${(result.sustainedRate / slower).toFixed(2)} |`,
      );
      console.log(
        `| end to end, ${variant.label}: overall (first publish → last point written) | ${fmt(result.rate)} | ${(result.rate / slower).toFixed(2)} |`,
      );
    }
    console.log('');
    for (const { variant, result } of runs) {
      console.log(
        `CPU a record (${variant.label}, load average ${result.loadAtStart.toFixed(1)} at its start): collector ${result.cpuUsPerRecord.toFixed(2)} µs, influxd ${result.influxdUsPerRecord.toFixed(2)} µs, mosquitto ${result.mosquittoUsPerRecord.toFixed(2)} µs, publisher ${result.publisherUsPerRecord.toFixed(2)} µs`,
      );
      console.log(
        `collector (${variant.label}): peak RSS ${(result.peakRss / 2 ** 20).toFixed(0)} MiB, CPU ${(result.cpuShare * 100).toFixed(0)} % of one core, ${result.cpuUsPerRecord.toFixed(2)} µs a record (meanwhile influxd ${(result.influxdShare * 100).toFixed(0)} %, mosquitto ${(result.mosquittoShare * 100).toFixed(0)} %); publishers done after ${result.publishSeconds.toFixed(1)} s, all stored after ${result.seconds.toFixed(1)} s; store buffer peaked at ${fmt(result.peakBuffered)} points (${(result.peakBufferedBytes / Math.max(1, result.peakBuffered)).toFixed(1)} spool bytes a point)`,
      );
    }
  } finally {
    await mosquitto.remove();
    await influx.remove();
    dir.remove();
  }
}

await main();
