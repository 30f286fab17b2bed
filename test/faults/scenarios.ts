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
import { demoAgentArgs } from '../support/agent-args.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { agentConfig as testAgentConfig, waitFor } from '../support/stack.js';
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
export async function startRig(dir: string, name: string, extraConfig = ''): Promise<Rig> {
  const broker = await startMosquitto({ persistence: true, extraConfig });
  const store = new SqliteStore(join(dir, `${name}.sqlite`));
  const collector = new Collector(store, { broker: broker.url, clientId: `faults-${name}` });
  await collector.start();
  const rig: Rig = {
    broker,
    store,
    collector,
    async stop() {
      await rig.collector.stop();
      await broker.remove();
    },
  };
  return rig;
}

export function agentConfig(broker: string, modelPath: string, dir: string, device: string): AgentConfig {
  return testAgentConfig(broker, modelPath, join(dir, 'agents'), {
    fleet: 'faults',
    device,
    rate: 100,
    batchMax: 20,
    flushMs: 200,
  });
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
  // Each listener goes on as soon as its agent is started: a batch sealed before it would be
  // stored but not counted as produced.
  const agents = await Promise.all(
    devices.map(async (device) => {
      const agent = await Agent.start(agentConfig(broker, modelPath, dir, device));
      agent.onBatch((records) => produced.push(...records.map((r) => `${device}/${r.seq}`)));
      return agent;
    }),
  );
  return { agents, produced, stop: () => Promise.all(agents.map((a) => a.stop(30_000))) };
}

async function caughtUp(rig: Rig, produced: readonly string[], timeoutMs: number): Promise<void> {
  // Cheap count first: reading every stored key 50 times a second would itself slow the drain.
  const deadline = Date.now() + timeoutMs;
  const wanted = new Set(produced);
  while (Date.now() < deadline) {
    if (rig.store.count() >= wanted.size) {
      const stored = new Set(storedKeys(rig.store));
      if ([...wanted].every((key) => stored.has(key))) break;
    }
    await sleep(250);
  }
  await rig.collector.idle(); // the comparison reports whatever is still missing
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
    await caughtUp(rig, [...run.produced], 120_000);
    const recoverMs = Date.now() - upAt;
    await sleep(2000); // streaming normally again
    await run.stop();
    await caughtUp(rig, run.produced, 30_000);
    const label = `broker ${options.kill ? 'SIGKILLed' : 'restarted'} (down ${((options.downMs ?? 3000) / 1000).toFixed(0)} s) while 3 agents stream`;
    return compare(label, rig, run.produced, recoverMs);
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
    // Recovered = everything produced up to the end of the outage is stored. The agents keep
    // streaming meanwhile (stopping them would cut their reconnect short: a graceful stop waits
    // 30 s for acknowledgements, then leaves the rest in the spool for the next start).
    await caughtUp(rig, [...run.produced], 300_000);
    const recoverMs = Date.now() - upAt;
    await run.stop();
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
  const args = demoAgentArgs({
    broker: rig.broker.url,
    fleet: 'faults',
    device: 'k1-pi4',
    modelPath,
    stateDir,
  });
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

/**
 * The broker is SIGKILLed while the collector is away, so it holds the collector's queue in memory
 * only (mosquitto saves its database on shutdown and every `autosave_interval`). With
 * `autosaveEveryChange`, it saves after every change (`autosave_on_changes true`,
 * `autosave_interval 1`). Shows what a broker crash costs, and what the setting buys.
 */
export async function brokerKilledWhileCollectorAway(
  dir: string,
  modelPath: string,
  autosaveEveryChange: boolean,
): Promise<FaultResult> {
  const name = autosaveEveryChange ? 'kill-away-autosave' : 'kill-away';
  const rig = await startRig(
    dir,
    name,
    autosaveEveryChange ? 'autosave_on_changes true\nautosave_interval 1' : '',
  );
  let collector = rig.collector;
  try {
    const run = await streaming(rig.broker.url, modelPath, dir, [`${name}-1`, `${name}-2`]);
    await sleep(2000);
    await collector.stop();
    await sleep(3000); // the broker queues for the collector's session
    await rig.broker.stop({ kill: true });
    await sleep(2000);
    await rig.broker.start();
    const upAt = Date.now();
    await sleep(2000);
    await run.stop();
    collector = new Collector(rig.store, { broker: rig.broker.url, clientId: `faults-${name}` });
    rig.collector = collector;
    await collector.start();
    await caughtUp(rig, run.produced, 20_000);
    return compare(
      `broker SIGKILLed while the collector was away (${autosaveEveryChange ? 'autosave on every change' : 'default autosave'})`,
      rig,
      run.produced,
      Date.now() - upAt,
    );
  } finally {
    await rig.stop();
  }
}
