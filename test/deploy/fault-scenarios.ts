// Fault scenarios 2 and 3 of issue 7 on the deployment path, self-contained (each starts and
// removes its own mosquitto and influxd) so tests assert on them and bench:faults can print them:
// InfluxDB down while agents stream; a collector process SIGKILLed mid-batch, then restarted.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from '../../agent/agent.js';
import { Collector } from '../../collector/collector.js';
import { InfluxStore } from '../../collector/store/influx.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { startMosquitto } from '../support/mosquitto.js';
import { type Running, runCli } from '../support/process.js';
import { waitFor } from '../support/stack.js';
import { agentConfig, compareKeys, storedKeys } from './fixtures.js';

export interface DeployFaultResult {
  scenario: string;
  produced: number;
  /** Distinct (device, seq) stored. */
  stored: number;
  lost: number;
  duplicated: number;
  /** Stored keys no agent produced (must be none). */
  unexpected: number;
  recoverMs: number;
  missing: string[];
  /** Points dropped by the sink as bad data (must be 0). */
  dropped: number;
  /** What the fault left to recover: points spooled during the outage, or spool bytes at the kill. */
  backlog: number;
}

async function streamingAgents(
  broker: string,
  modelPath: string,
  stateDir: string,
  devices: string[],
  rate: number,
) {
  const produced: string[] = [];
  const agents = await Promise.all(
    devices.map((device) =>
      Agent.start(
        agentConfig(broker, modelPath, stateDir, { device, rate, batchMax: 20, flushMs: 200 }),
      ).then((agent) => {
        // Attached at once: the first batch is sealed a few milliseconds after start.
        agent.onBatch((records) => produced.push(...records.map((r) => `${device}/${r.seq}`)));
        return agent;
      }),
    ),
  );
  return { produced, stop: () => Promise.all(agents.map((a) => a.stop())) };
}

async function result(
  scenario: string,
  influx: Influxd,
  db: string,
  produced: string[],
  recoverMs: number,
  dropped: number,
  backlog: number,
): Promise<DeployFaultResult> {
  const r = compareKeys(produced, await storedKeys(influx, db));
  return {
    scenario,
    produced: r.produced,
    stored: r.stored - r.duplicates,
    lost: r.missing.length,
    duplicated: r.duplicates,
    unexpected: r.unexpected.length,
    recoverMs,
    missing: r.missing.slice(0, 20),
    dropped,
    backlog,
  };
}

/** Scenario 2: InfluxDB stopped for `outageS` seconds while three agents stream at 50/s each. */
export async function influxOutage(
  dir: string,
  modelPath: string,
  outageS: number,
): Promise<DeployFaultResult> {
  const [mosquitto, influx] = await Promise.all([startMosquitto(), startInfluxd()]);
  try {
    const db = 'outage';
    const store = new InfluxStore(`127.0.0.1:${influx.port}/${db}`, {
      spoolDir: join(dir, 'outage-spool'),
      flushIntervalMs: 200,
      retryMaxMs: 2000,
    });
    const collector = new Collector(store, {
      broker: mosquitto.url,
      clientId: 'outage-collector',
      sharedGroup: 'outage',
    });
    await collector.start();
    const agents = await streamingAgents(
      mosquitto.url,
      modelPath,
      join(dir, 'agents'),
      ['pi4-o1', 'pi5-o2', 'orin-o3'],
      50,
    );
    await sleep(3000);
    await influx.stop();
    const downAt = Date.now();
    await waitFor('failed writes during the outage', () => store.sinkStats.retries >= 2, 20_000);
    await sleep(Math.max(0, outageS * 1000 - (Date.now() - downAt)));
    const spooled = store.sinkStats.pendingLines;
    await influx.start();
    const upAt = Date.now();
    await sleep(2000);
    await agents.stop();
    await waitFor('collector caught up', () => collector.stats.records >= agents.produced.length, 60_000);
    await store.drained();
    const recoverMs = Date.now() - upAt;
    const dropped = store.sinkStats.dropped;
    await collector.stop();
    return await result(
      `InfluxDB down ${outageS} s while 3 agents stream (${spooled} points spooled)`,
      influx,
      db,
      agents.produced,
      recoverMs,
      dropped,
      spooled,
    );
  } finally {
    await mosquitto.remove();
    await influx.remove();
  }
}

/**
 * Scenario 3: two `edgewatt collector` processes in one shared group; one is SIGKILLed while it
 * holds acknowledged points not yet in InfluxDB (long batches), kept down 2 s, restarted with
 * the same client id and spool. recoverMs runs from the kill until every record is stored.
 */
export async function collectorKilled(dir: string, modelPath: string): Promise<DeployFaultResult> {
  const [mosquitto, influx] = await Promise.all([startMosquitto(), startInfluxd()]);
  const running: Running[] = [];
  try {
    const db = 'sigkill';
    const spoolOf = (id: string) => join(dir, `spool-${id}`);
    const start = async (id: string): Promise<Running> => {
      const collector = runCli(
        [
          ...['collector', '--broker', mosquitto.url, '--store', `influxdb://127.0.0.1:${influx.port}/${db}`],
          ...['--shared-group', 'kill', '--client-id', id, '--spool-dir', spoolOf(id)],
          // Long batches: at the kill, the victim holds acknowledged points not yet in InfluxDB.
          ...['--flush-ms', '3000', '--batch-lines', '100000', '--stats-interval', '0'],
        ],
        { EDGEWATT_LOG_LEVEL: 'info' },
      );
      running.push(collector);
      await waitFor(
        `collector ${id} subscribed`,
        () => collector.stderr().includes('collector subscribed'),
        60_000,
      );
      return collector;
    };
    await start('kill-a');
    const victim = await start('kill-b');
    const agents = await streamingAgents(
      mosquitto.url,
      modelPath,
      join(dir, 'agents'),
      ['pi4-k1', 'pi5-k2', 'orin-k3'],
      150,
    );
    await sleep(1500);
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    const spooledBytes = readdirSync(spoolOf('kill-b'))
      .filter((n) => n.endsWith('.spool2'))
      .reduce((sum, n) => sum + statSync(join(spoolOf('kill-b'), n)).size, 0);
    await sleep(2000);
    await start('kill-b');
    await sleep(2000);
    await agents.stop();
    const deadline = Date.now() + 60_000;
    while ((await storedKeys(influx, db)).length < agents.produced.length && Date.now() < deadline)
      await sleep(200);
    const recoverMs = Date.now() - killedAt;
    return await result(
      `collector SIGKILLed mid-batch (${spooledBytes} spool bytes at the kill), restarted after 2 s`,
      influx,
      db,
      agents.produced,
      recoverMs,
      0,
      spooledBytes,
    );
  } finally {
    for (const c of running) {
      if (c.child.exitCode === null && c.child.signalCode === null) {
        c.child.kill('SIGTERM');
        await c.exited;
      }
    }
    await mosquitto.remove();
    await influx.remove();
  }
}
