// Fault-injection figures (issue 7): per scenario, records produced, stored, lost, duplicated and
// the time to recover, with real mosquitto, agents and a SQLite collector (the scenarios of
// test/faults/); and what the spool's fsync policy costs per sealed batch on this disk.
// Usage: npm run bench:faults [-- --cut-s 60] [-- --only spool|away|redteam|redteam-collector|access] [-- --redteam-batches 100]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FSYNC_POLICIES } from '../agent/publish/spool.js';
import { openSpool, SPOOL_KINDS } from '../agent/publish/spools.js';
import { setLogLevel } from '../common/logger.js';
import { clientIdTakeover } from '../test/faults/redteam-access.js';
import { agentDiskFull, corruptedSpoolFile, counterLost } from '../test/faults/redteam-agent.js';
import { collectorDiskFull, storeLocked } from '../test/faults/redteam-collector.js';
import {
  agentKilled,
  agentsCutOff,
  brokerKilledWhileCollectorAway,
  brokerRestart,
  type FaultResult,
} from '../test/faults/scenarios.js';
import { spoolRecords } from '../test/spool/records.js';
import { demoModel } from '../test/support/stack.js';
import { mountTmpfs, tmpfsRequirement } from '../test/support/tmpfs.js';
import { machineLine } from './machine.js';

setLogLevel('silent');
const argValue = (name: string) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
};
const cutS = Number(argValue('--cut-s') ?? 60);
const only = argValue('--only'); // spool | away | redteam | redteam-collector | access
const redteamBatches = Number(argValue('--redteam-batches') ?? 100);

function spoolCost(dir: string): void {
  const BATCHES = 400;
  const RECORDS = 50;
  const records = spoolRecords(RECORDS);
  console.log(
    `\nSpool: seal (encode + write + counter) of ${BATCHES} batches of ${RECORDS} records, then acknowledge each`,
  );
  console.log('| spool | fsync | seal median | seal p99 | acknowledge median | batches/s sealed |');
  console.log('|---|---|---|---|---|---|');
  for (const kind of SPOOL_KINDS) {
    for (const fsync of FSYNC_POLICIES) {
      const spool = openSpool(kind, join(dir, `${kind}-${fsync}`), 'bench', 'cbor', { fsync });
      const seal: number[] = [];
      const ack: number[] = [];
      const sealed: { firstSeq: number; count: number }[] = [];
      const started = performance.now();
      for (let i = 0; i < BATCHES; i++) {
        const t = performance.now();
        sealed.push(spool.seal(records));
        seal.push(performance.now() - t);
      }
      const sealSeconds = (performance.now() - started) / 1000;
      for (const batch of sealed) {
        const t = performance.now();
        spool.acknowledge(batch.firstSeq, batch.count);
        ack.push(performance.now() - t);
      }
      spool.close();
      const pct = (values: number[], p: number) => {
        const sorted = [...values].sort((a, b) => a - b);
        return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
      };
      const ms = (value: number) => `${value.toFixed(2)} ms`;
      console.log(
        `| ${kind} | ${fsync} | ${ms(pct(seal, 0.5))} | ${ms(pct(seal, 0.99))} | ${ms(pct(ack, 0.5))} | ${Math.round(BATCHES / sealSeconds).toLocaleString('en')} |`,
      );
    }
  }
}

/** Issue 12's agent-side cases: counter lost, damaged spool file, disk full (needs root for tmpfs). */
async function redTeam(dir: string): Promise<void> {
  console.log(
    `\nRed-team, agent side (${redteamBatches} batches of 10 records per run; real mosquitto, SQLite collector)`,
  );
  console.log('| scenario | produced | stored | lost | duplicated | redeliveries ignored |');
  console.log('|---|---|---|---|---|---|');
  const line = (r: FaultResult) =>
    console.log(
      `| ${r.scenario} | ${r.produced} | ${r.stored} | ${r.lost} | ${r.duplicated} | ${r.redeliveriesIgnored} |`,
    );
  line(await counterLost(join(dir, 'rt1'), redteamBatches, false));
  line(await counterLost(join(dir, 'rt2'), redteamBatches, true));
  line(await corruptedSpoolFile(join(dir, 'rt3'), redteamBatches));
  if (!tmpfsRequirement().met) {
    console.log(`| agent disk full | skipped: ${tmpfsRequirement().reason} | | | | |`);
    return;
  }
  const disk = mountTmpfs(256 * 1024);
  try {
    line(await agentDiskFull(join(dir, 'rt4'), disk, redteamBatches));
  } finally {
    disk.unmount();
  }
}

/** Issue 12's collector-side cases: its store locked (within and past the retry budget), its disk full (needs root for tmpfs). */
async function redTeamCollector(dir: string): Promise<void> {
  console.log(
    `\nRed-team, collector side (${redteamBatches} batches of 10 records; real mosquitto, persistent session, SQLite collector)`,
  );
  console.log(
    '| scenario | produced | stored | lost | duplicated | redeliveries ignored | time to recover |',
  );
  console.log('|---|---|---|---|---|---|---|');
  console.log(row(await storeLocked(join(dir, 'rc1'), redteamBatches, 5000)));
  console.log(row(await storeLocked(join(dir, 'rc2'), redteamBatches, 60_000)));
  if (!tmpfsRequirement().met) {
    console.log(`| collector disk full | skipped: ${tmpfsRequirement().reason} | | | | | |`);
    return;
  }
  const disk = mountTmpfs(4 * 2 ** 20);
  try {
    console.log(row(await collectorDiskFull(join(dir, 'rc3'), disk, redteamBatches, 30_000)));
  } finally {
    disk.unmount();
  }
}

/** Issue 12 items 7 and 11: the whole counter lost, and a device taking the collector's client ids. */
async function redTeamAccess(dir: string): Promise<void> {
  console.log(
    `\nRed-team, access (${redteamBatches} batches of 10 records per run; real mosquitto, SQLite collector)`,
  );
  console.log('| scenario | produced | stored | lost | duplicated | redeliveries ignored |');
  console.log('|---|---|---|---|---|---|');
  const line = (r: FaultResult) =>
    console.log(
      `| ${r.scenario} | ${r.produced} | ${r.stored} | ${r.lost} | ${r.duplicated} | ${r.redeliveriesIgnored} |`,
    );
  line(await counterLost(join(dir, 'ra1'), redteamBatches, true));
  line(await clientIdTakeover(join(dir, 'ra2'), redteamBatches, false));
  line(await clientIdTakeover(join(dir, 'ra3'), redteamBatches, true));
}

function row(result: FaultResult): string {
  return `| ${result.scenario} | ${result.produced} | ${result.stored} | ${result.lost} | ${result.duplicated} | ${result.redeliveriesIgnored} | ${(result.recoverMs / 1000).toFixed(1)} s |`;
}

const dir = mkdtempSync(join(tmpdir(), 'edgewatt-bench-faults-'));
try {
  console.log(`Measured on: ${machineLine()}`);
  if (only !== 'redteam' && only !== 'redteam-collector' && only !== 'access') spoolCost(dir);
  if (only === undefined || only === 'redteam') await redTeam(dir);
  if (only === undefined || only === 'redteam-collector') await redTeamCollector(dir);
  if (only === undefined || only === 'access') await redTeamAccess(dir);
  if (only === undefined || only === 'away') {
    const modelPath = await demoModel(dir);
    console.log(
      '\nFault injection (real mosquitto 2 with persistence, collector with a persistent session, QoS 1)',
    );
    console.log(
      '| scenario | produced | stored | lost | duplicated | redeliveries ignored | time to recover |',
    );
    console.log('|---|---|---|---|---|---|---|');
    if (only !== 'away') {
      console.log(row(await brokerRestart(join(dir, 's1'), modelPath, { downMs: 5000 })));
      console.log(row(await brokerRestart(join(dir, 's1k'), modelPath, { downMs: 5000, kill: true })));
      console.log(row(await agentKilled(join(dir, 's4'), modelPath)));
      console.log(row(await agentsCutOff(join(dir, 's5'), modelPath, cutS * 1000)));
    }
    console.log(row(await brokerKilledWhileCollectorAway(join(dir, 'x1'), modelPath, false)));
    console.log(row(await brokerKilledWhileCollectorAway(join(dir, 'x2'), modelPath, true)));
    console.log(
      "\ntime to recover: from the end of the fault (broker back, agent restarted, link restored) to the last produced record stored; it includes the agents' reconnect back-off (full jitter, 0.5 s doubling to 30 s).",
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
