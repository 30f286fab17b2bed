// Fault-injection scenarios 1, 4 and 5 of issue 7 with a real mosquitto (persistence on), real
// agents and a collector on a SQLite file: the broker restarted while agents stream, an agent
// killed with SIGKILL and restarted, and agents cut off from the broker for a while. Each returns
// the (device, seq) produced against those stored; test/faults/ asserts, bench/faults.bench.ts prints.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type AgentConfig } from '../../agent/agent.js';
import { Collector } from '../../collector/collector.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/stack.js';
import { startLink } from './proxy.js';

export interface FaultResult {
  scenario: string;
  produced: number;
  stored: number;
  lost: number;
  /** Records stored more than once (the store's key makes this 0 unless it is broken). */
  duplicated: number;
  /** Redelivered records the collector received again and ignored (QoS 1 at work, not an error). */
  redeliveriesIgnored: number;
  /** From the end of the fault to the last produced record stored. */
  recoverMs: number;
  missing: string[];
}

export interface Rig {
  broker: Mosquitto;
  store: SqliteStore;
  collector: Collector;
  stop(): Promise<void>;
}

/**
 * A broker with persistence, and a collector with a fixed client id (clean session off) at QoS 1:
 * the broker keeps its subscription and queues for it across its own restart and the collector's.
 */
export async function startRig(dir: string, name: string): Promise<Rig> {
  const broker = await startMosquitto({ persistence: true });
  const store = new SqliteStore(join(dir, `${name}.sqlite`));
  const collector = new Collector(store, { broker: broker.url, clientId: `faults-${name}` });
  await collector.start();
  return {
    broker,
    store,
    collector,
    async stop() {
      await collector.stop();
      await broker.remove();
    },
  };
}

export function agentConfig(broker: string, modelPath: string, dir: string, device: string): AgentConfig {
  return {
    broker,
    fleet: 'faults',
    device,
    sensor: 'simulated:rpi4',
    model: modelPath,
    rate: 100,
    count: 0,
    stateDir: join(dir, 'agents', device),
    batchMax: 20,
    flushMs: 200,
    encoding: 'cbor',
    backend: 'wasm',
    batchSize: 1,
  };
}

function storedKeys(store: SqliteStore): string[] {
  return [...store.records()].map((r) => `${r.device}/${r.seq}`);
}

function compare(scenario: string, rig: Rig, produced: readonly string[], recoverMs: number): FaultResult {
  const stored = storedKeys(rig.store);
  const storedSet = new Set(stored);
  const missing = [...new Set(produced)].filter((key) => !storedSet.has(key));
  return {
    scenario,
    produced: produced.length,
    stored: stored.length,
    lost: missing.length,
    duplicated: stored.length - storedSet.size,
    redeliveriesIgnored: rig.collector.stats.duplicates,
    recoverMs,
    missing: missing.slice(0, 20),
  };
}

async function streaming(broker: string, modelPath: string, dir: string, devices: string[]) {
  const produced: string[] = [];
  const agents = await Promise.all(
    devices.map((device) => Agent.start(agentConfig(broker, modelPath, dir, device))),
  );
  agents.forEach((agent, i) => {
    agent.onBatch((records) => produced.push(...records.map((r) => `${devices[i]}/${r.seq}`)));
  });
  return { agents, produced, stop: () => Promise.all(agents.map((a) => a.stop(30_000))) };
}

async function caughtUp(rig: Rig, produced: readonly string[], timeoutMs: number): Promise<void> {
  await waitFor(
    'every produced record stored',
    () => {
      const stored = new Set(storedKeys(rig.store));
      return produced.every((key) => stored.has(key));
    },
    timeoutMs,
  ).catch(() => undefined); // the comparison reports what is missing
  await rig.collector.idle();
}

/** Scenario 1: the broker is restarted (SIGTERM, or SIGKILL) while three agents stream. */
export async function brokerRestart(
  dir: string,
  modelPath: string,
  options: { downMs?: number; kill?: boolean } = {},
): Promise<FaultResult> {
  const rig = await startRig(dir, options.kill ? 'broker-kill' : 'broker-restart');
  try {
    const run = await streaming(rig.broker.url, modelPath, dir, ['b1-pi4', 'b2-pi5', 'b3-orin']);
    await sleep(3000);
    await rig.broker.stop({ kill: options.kill ?? false });
    await sleep(options.downMs ?? 3000);
    await rig.broker.start();
    const upAt = Date.now();
    await sleep(3000);
    await run.stop();
    await caughtUp(rig, run.produced, 60_000);
    const label = `broker ${options.kill ? 'SIGKILLed' : 'restarted'} (down ${((options.downMs ?? 3000) / 1000).toFixed(0)} s) while 3 agents stream`;
    return compare(label, rig, run.produced, Date.now() - upAt);
  } finally {
    await rig.stop();
  }
}

/** Scenario 5: the agents' link to the broker is cut for `outageMs`, then restored: the backlog arrives. */
export async function agentsCutOff(dir: string, modelPath: string, outageMs: number): Promise<FaultResult> {
  const rig = await startRig(dir, 'cut-off');
  const link = await startLink(rig.broker.port);
  try {
    const run = await streaming(link.url, modelPath, dir, ['c1-pi4', 'c2-pi5']);
    await sleep(2000);
    await link.cut();
    await sleep(outageMs);
    const backlog = run.produced.length - storedKeys(rig.store).length;
    await link.restore();
    const upAt = Date.now();
    // Stop producing first, so "recovered" means the whole backlog is in, not a moving target.
    const stopped = run.stop();
    await caughtUp(rig, run.produced, 120_000);
    const recoverMs = Date.now() - upAt;
    await stopped;
    await caughtUp(rig, run.produced, 30_000);
    return compare(
      `agents cut off from the broker for ${(outageMs / 1000).toFixed(0)} s (backlog ${backlog} records)`,
      rig,
      run.produced,
      recoverMs,
    );
  } finally {
    await link.close();
    await rig.stop();
  }
}

/** Scenario 4: an agent process is killed with SIGKILL mid-stream, then started again. */
export async function agentKilled(dir: string, modelPath: string): Promise<FaultResult> {
  const rig = await startRig(dir, 'agent-kill');
  const stateDir = join(dir, 'agents', 'k1-pi4');
  const args = [
    'agent',
    '--broker',
    rig.broker.url,
    '--fleet',
    'faults',
    '--device',
    'k1-pi4',
    '--sensor',
    'simulated:rpi4',
    '--model',
    modelPath,
    '--backend',
    'wasm',
    '--rate',
    '200',
    '--batch-max',
    '10',
    '--flush-ms',
    '50',
    '--state-dir',
    stateDir,
  ];
  const run = (extra: string[]) =>
    spawn(process.execPath, ['--import', 'tsx', 'test/faults/agent-process.ts', ...args.slice(1), ...extra], {
      env: { ...process.env, EDGEWATT_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  try {
    const first = run([]);
    await waitFor('records from the first process', () => rig.store.count() >= 200, 60_000);
    first.kill('SIGKILL');
    await once(first, 'exit');
    const restartAt = Date.now();
    const second = run(['--count', '300']);
    const [code] = (await once(second, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`restarted agent exited with ${code}`);
    // Every seq ever handed out (they are never skipped) must be stored once.
    const nextSeq = (JSON.parse(readFileSync(join(stateDir, 'seq.json'), 'utf8')) as { nextSeq: number })
      .nextSeq;
    const produced = Array.from({ length: nextSeq }, (_, seq) => `k1-pi4/${seq}`);
    await caughtUp(rig, produced, 30_000);
    return compare('agent SIGKILLed mid-stream, then restarted', rig, produced, Date.now() - restartAt);
  } finally {
    await rig.stop();
  }
}
