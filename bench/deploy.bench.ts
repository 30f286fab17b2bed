// `npm run bench:deploy`: what a model deployment costs the service on the board, and how fast the
// agent downloads. (1) An agent serves inferences at a fixed rate while a new model is downloaded,
// verified, loaded, warmed up and switched to: the longest gap between two served inferences and
// the p99 inference latency inside the switch window (assignment → committed), against a steady
// window of the same length just before it, and the seq set (nothing lost, nothing twice). The
// switch starts only after the agent's start-up is over (its seq recovery settled: without a
// collector it seals the records held meanwhile in one burst, a pause that is not the switch's).
// (2) Download throughput from a local registry (HTTP on loopback, Basic auth, fsync every MiB),
// for one 64 MiB file. BENCH_DEPLOY_RUNS (3) switch runs; BENCH_DEPLOY_DOWNLOAD=off skips (2);
// `BENCH_DEPLOY_RUNS=1 BENCH_DEPLOY_DOWNLOAD=off` is the quick form (one switch, ~15 s).
// Each switch runs on a new agent in this one process: the first is the process's first switch
// (whatever Node.js or a library does once per process falls in it), printed apart from the later
// ones, with the deployment phase its longest gap fell in.
// Prints the load average at each run's start: the figures mean little without it.

import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../agent/agent.js';
import { Deployer } from '../agent/deploy/deployer.js';
import { downloadFiles } from '../agent/deploy/download.js';
import { JournalStore } from '../agent/deploy/journal.js';
import { startEmbeddedBroker } from '../collector/broker/embedded.js';
import type { InferenceRecord } from '../protocol/index.js';
import { loadTrustedKey, trustFromKeyFiles } from '../protocol/manifest/index.js';
import { loadRuntime } from '../runtime/backend.js';
import {
  assignmentFor,
  FLEET,
  makeKeys,
  startControl,
  startRegistry,
  writeModel,
} from '../test/agent-deploy/support.js';
import { tempDir, waitFor } from '../test/support/stack.js';
import { machineLine } from './machine.js';

const RATE_PER_S = 100;
const RUNS = Number(process.env.BENCH_DEPLOY_RUNS ?? 3);
/** Steady state served after the start-up is over, before the switch (≥ a switch window). */
const SETTLE_MS = 4_000;
const CREDENTIALS = { username: 'bench', password: 'bench-password-123' };

const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

const dir = tempDir('edgewatt-bench-deploy-');
const { tf } = await loadRuntime('wasm');
const keys = await makeKeys(dir.path);
const broker = await startEmbeddedBroker();
const registry = await startRegistry(dir.path, CREDENTIALS);
const control = await startControl(broker.url);

interface SwitchRun {
  loadAverage: number;
  steadyIntervalMs: number;
  /** Longest gap in the steady window (as long as the switch window, just before it). */
  steadyMaxGapMs: number;
  maxGapMs: number;
  /** The deployment state the device was in when the longest gap began. */
  maxGapPhase: string;
  steadyP99Us: number;
  switchP99Us: number;
  switchWindowMs: number;
  lost: number;
  repeated: number;
}

async function switchRun(run: number): Promise<SwitchRun> {
  const loadAverage = loadavg()[0] ?? Number.NaN;
  const start = await writeModel(tf, join(dir.path, `start-${run}`), keys, {
    variant: 'tiny',
    seed: 10 + run,
    release: 1,
  });
  const next = await writeModel(tf, join(dir.path, `next-${run}`), keys, {
    variant: 'tiny',
    seed: 20 + run,
    release: 2,
  });
  registry.add(next.id, next.dir);
  const device = `bench-${run}`;
  const stateDir = join(dir.path, 'devices', device);
  const agent = await Agent.start({
    broker: broker.url,
    fleet: FLEET,
    device,
    sensor: 'simulated:rpi4',
    model: start.dir,
    trustedKeys: [keys.modelPublicPath],
    rate: RATE_PER_S,
    count: 0,
    stateDir,
    batchMax: 50,
    flushMs: 200,
    encoding: 'cbor',
    backend: 'wasm',
    batchSize: 1,
  });
  const records: InferenceRecord[] = [];
  agent.onBatch((batch) => records.push(...batch));
  const deployer = new Deployer(agent, new JournalStore(stateDir), {
    fleet: FLEET,
    device,
    board: 'rpi4',
    modelTrust: trustFromKeyFiles([keys.modelPublicPath]),
    deploymentKeys: [loadTrustedKey(keys.deploymentPublicPath)],
    maxArtifactBytes: 1 << 30,
    maxAttempts: 3,
    warmupInferences: 10,
    registry: CREDENTIALS,
    startModelDir: start.dir,
  });
  await agent.publisher.seq.settled;
  // The records held during the recovery are sealed in one burst when it settles.
  const settledUs = Date.now() * 1000 + 200_000;
  await waitFor('steady state', () => (records.at(-1)?.startUs ?? 0) > settledUs + SETTLE_MS * 1000, 60_000);
  const switchStartUs = Date.now() * 1000;
  await control.assign(assignmentFor(device, next, registry, { probationS: 1 }), keys.deploymentKey);
  await waitFor('committed', () => control.chain(device).includes('committed#1'), 60_000);
  const switchEndUs = Date.now() * 1000;
  const more = records.length;
  await waitFor('after', () => records.length > more + RATE_PER_S, 60_000);
  await deployer.close();
  await agent.stop(2_000);
  // The clean-up after the commit (old model disposed, old folders removed) counts as the switch's.
  const duringEndUs = switchEndUs + 500_000;
  const windowUs = duringEndUs - switchStartUs;
  const steadyFromUs = Math.max(settledUs, switchStartUs - windowUs);
  const steady = records.filter((r) => r.startUs >= steadyFromUs && r.startUs < switchStartUs);
  const during = records.filter((r) => r.startUs >= switchStartUs && r.startUs <= duringEndUs);
  const intervalsMs = (list: InferenceRecord[]) =>
    list.slice(1).map((r, i) => (r.startUs - (list[i]?.startUs ?? 0)) / 1000);
  // The gap that ends a window's first record started before it counts for that window.
  const withPrevious = (list: InferenceRecord[]) => {
    const first = list[0];
    const before = first === undefined ? undefined : records[records.indexOf(first) - 1];
    return before === undefined ? list : [before, ...list];
  };
  const gaps = withPrevious(during);
  let longest = { ms: Number.NEGATIVE_INFINITY, fromUs: switchStartUs };
  for (let i = 1; i < gaps.length; i++) {
    const fromUs = gaps[i - 1]?.startUs ?? 0;
    const ms = ((gaps[i]?.startUs ?? 0) - fromUs) / 1000;
    if (ms > longest.ms) longest = { ms, fromUs };
  }
  const phases = control.messages
    .filter((m) => m.device === device && m.atUs <= longest.fromUs)
    .sort((a, b) => a.atUs - b.atUs);
  const seqs = records.map((r) => r.seq);
  const first = seqs[0] ?? 0;
  const last = seqs.at(-1) ?? 0;
  return {
    loadAverage,
    steadyIntervalMs: quantile(intervalsMs(steady), 0.5),
    steadyMaxGapMs: Math.max(...intervalsMs(withPrevious(steady))),
    maxGapMs: longest.ms,
    maxGapPhase: phases.at(-1)?.state ?? 'before the assignment',
    steadyP99Us: quantile(
      steady.map((r) => r.durationUs),
      0.99,
    ),
    switchP99Us: quantile(
      during.map((r) => r.durationUs),
      0.99,
    ),
    switchWindowMs: (switchEndUs - switchStartUs) / 1000,
    lost: last - first + 1 - new Set(seqs).size,
    repeated: seqs.length - new Set(seqs).size,
  };
}

async function throughputRun(run: number): Promise<number> {
  const bytes = 64 * 1024 * 1024;
  const id = `${run}`.padStart(64, 'f');
  const source = join(dir.path, `blob-${run}`);
  mkdirSync(source, { recursive: true });
  writeFileSync(join(source, 'weights.bin'), randomBytes(bytes));
  registry.add(id, source);
  const target = join(dir.path, `download-${run}`);
  const startedMs = performance.now();
  await downloadFiles(
    { baseUrl: registry.baseUrl, ...CREDENTIALS },
    id,
    [{ path: 'weights.bin', bytes, exact: true }],
    target,
    { signal: new AbortController().signal },
  );
  const seconds = (performance.now() - startedMs) / 1000;
  rmSync(target, { recursive: true, force: true });
  rmSync(source, { recursive: true, force: true });
  return bytes / 2 ** 20 / seconds;
}

try {
  console.log(machineLine());
  const switches: SwitchRun[] = [];
  for (let run = 0; run < RUNS; run++) switches.push(await switchRun(run));
  for (const [index, s] of switches.entries()) {
    console.log(
      `switch ${index + 1}${index === 0 ? ' (first of the process)' : ''} at ${RATE_PER_S}/s (load average ${s.loadAverage.toFixed(1)}): window ${s.switchWindowMs.toFixed(0)} ms (assignment → committed, probation 1 s; measured to 0.5 s after), ` +
        `steady interval ${s.steadyIntervalMs.toFixed(1)} ms, longest gap steady ${s.steadyMaxGapMs.toFixed(1)} ms vs during switch ${s.maxGapMs.toFixed(1)} ms ` +
        `(${(s.maxGapMs / s.steadyMaxGapMs).toFixed(2)}×, began in ${s.maxGapPhase}), ` +
        `p99 latency steady ${(s.steadyP99Us / 1000).toFixed(2)} ms vs during switch ${(s.switchP99Us / 1000).toFixed(2)} ms ` +
        `(${(s.switchP99Us / s.steadyP99Us).toFixed(2)}×), lost ${s.lost}, repeated ${s.repeated}`,
    );
  }
  const [firstSwitch, ...later] = switches;
  const gapRatio = (s: SwitchRun) => `${(s.maxGapMs / s.steadyMaxGapMs).toFixed(2)}×`;
  if (firstSwitch !== undefined)
    console.log(
      `longest gap during a switch / steady: first switch of the process ${gapRatio(firstSwitch)}` +
        (later.length === 0 ? '' : `, later switches ${later.map(gapRatio).join(', ')}`),
    );
  const rates: number[] = [];
  for (let run = 0; run < (process.env.BENCH_DEPLOY_DOWNLOAD === 'off' ? 0 : RUNS); run++)
    rates.push(await throughputRun(run));
  if (rates.length > 0)
    console.log(
      `download 64 MiB from a loopback registry: ${rates.map((r) => r.toFixed(0)).join(', ')} MiB/s (median ${quantile(rates, 0.5).toFixed(0)})`,
    );
} finally {
  await control.close();
  await registry.close();
  await broker.close();
  dir.remove();
}
