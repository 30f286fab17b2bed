// Red-team fault scenarios on the agent's side (issue 12 items 7 and 8) for bench:faults: the
// sequence counter lost, a batch file damaged on disk, the agent's disk full. Real mosquitto and a
// SQLite collector (startRig); the agent is its spool and publisher in this process, so that a
// file can be damaged or removed between two runs. Each returns produced / stored / lost /
// duplicated, and how many of the lost the agent counted itself.

import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox } from '../../agent/publish/outbox.js';
import { Publisher } from '../../agent/publish/publisher.js';
import { spoolRecords } from '../spool/records.js';
import { waitFor } from '../support/stack.js';
import type { Tmpfs } from '../support/tmpfs.js';
import { type FaultResult, type Rig, startRig } from './scenarios.js';

const RECORDS_PER_BATCH = 10;

/** Seals `batches` batches into the spool; returns the seqs produced. */
function produce(spool: Outbox, batches: number): number[] {
  const seqs: number[] = [];
  for (let i = 0; i < batches; i++) {
    const sealed = spool.seal(spoolRecords(RECORDS_PER_BATCH));
    seqs.push(...sealed.records.map((r) => r.seq));
  }
  return seqs;
}

/** Sends what the spool holds to the rig's broker and waits until it is acknowledged. */
async function drain(rig: Rig, stateDir: string, device: string): Promise<void> {
  const publisher = new Publisher(new Outbox(stateDir, device), {
    brokerUrl: rig.broker.url,
    fleet: 'faults',
    device,
    describe: {},
    stateDir,
  });
  try {
    if (!(await publisher.drain(60_000))) throw new Error(`${device}: spool not drained in 60 s`);
  } finally {
    await publisher.close();
  }
}

async function result(
  rig: Rig,
  scenario: string,
  device: string,
  produced: number,
  countedByAgent: number,
): Promise<FaultResult> {
  await waitFor('collector idle', () => rig.collector.stats.received > 0);
  await rig.collector.idle();
  const seqs = [...rig.store.records()].filter((r) => r.device === device).map((r) => r.seq);
  const distinct = new Set(seqs).size;
  return {
    scenario: `${scenario}; lost counted by the agent: ${countedByAgent}, seq regressions flagged: ${rig.collector.stats.seqRegressions}`,
    produced,
    stored: distinct,
    lost: produced - distinct,
    duplicated: seqs.length - distinct,
    redeliveriesIgnored: rig.collector.stats.duplicates,
    recoverMs: 0,
    missing: [],
  };
}

/** As the agent runs: connected first (its birth says the next seq), then producing and sending. */
async function runOnline(rig: Rig, stateDir: string, device: string, batches: number): Promise<number> {
  const spool = new Outbox(stateDir, device);
  const publisher = new Publisher(spool, {
    brokerUrl: rig.broker.url,
    fleet: 'faults',
    device,
    describe: {},
    stateDir,
  });
  try {
    await waitFor(`${device} connected`, () => publisher.isConnected);
    // As the agent does: a spool that found no counter waits for the collector's answer (cmd/seq).
    await publisher.seq.settled;
    for (let i = 0; i < batches; i++) {
      const sealed = spool.seal(spoolRecords(RECORDS_PER_BATCH));
      publisher.enqueue(sealed.firstSeq, sealed.count);
    }
    if (!(await publisher.drain(60_000))) throw new Error(`${device}: spool not drained in 60 s`);
    return batches * RECORDS_PER_BATCH;
  } finally {
    await publisher.close();
  }
}

/** seq.json lost between two runs (`backup` kept), or the whole counter (both files) lost. */
export async function counterLost(dir: string, batches: number, whole: boolean): Promise<FaultResult> {
  const rig = await startRig(dir, whole ? 'rt-counter-whole' : 'rt-counter');
  const device = whole ? 'rt-counter-whole' : 'rt-counter';
  const stateDir = join(dir, device);
  try {
    let produced = await runOnline(rig, stateDir, device, batches);
    rmSync(join(stateDir, 'seq.json'));
    if (whole) rmSync(join(stateDir, 'seq.backup.json'));
    produced += await runOnline(rig, stateDir, device, batches);
    const what = whole ? 'seq.json and its backup deleted' : 'seq.json deleted (backup kept)';
    return await result(rig, `agent counter lost: ${what}, empty outbox`, device, produced, 0);
  } finally {
    await rig.stop();
  }
}

/** Two batch files damaged on disk while the broker was away. */
export async function corruptedSpoolFile(dir: string, batches: number): Promise<FaultResult> {
  const rig = await startRig(dir, 'rt-corrupt');
  const device = 'rt-corrupt';
  const stateDir = join(dir, device);
  try {
    const produced = produce(new Outbox(stateDir, device), batches).length;
    const files = readdirSync(join(stateDir, 'outbox')).filter((f) => f.endsWith('.batch'));
    for (const file of files.slice(0, 2)) {
      const path = join(stateDir, 'outbox', file);
      const bytes = readFileSync(path);
      bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
      writeFileSync(path, bytes);
    }
    await drain(rig, stateDir, device);
    const counted = new Outbox(stateDir, device).stats().corruptRecords;
    return await result(rig, 'agent spool: 2 batch files damaged on disk', device, produced, counted);
  } finally {
    await rig.stop();
  }
}

/** The agent's disk (a tmpfs) full while the broker was away; then the spool drains. */
export async function agentDiskFull(dir: string, disk: Tmpfs, batches: number): Promise<FaultResult> {
  const rig = await startRig(dir, 'rt-disk-full');
  const device = 'rt-disk-full';
  const stateDir = join(disk.path, device);
  try {
    const spool = new Outbox(stateDir, device);
    disk.fill(40 * 1024);
    const produced = produce(spool, batches).length;
    await drain(rig, stateDir, device);
    const counted = new Outbox(stateDir, device).stats().droppedRecords;
    return await result(rig, 'agent disk full (tmpfs, 40 KiB free)', device, produced, counted);
  } finally {
    await rig.stop();
  }
}
