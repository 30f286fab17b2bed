// Red-team fault scenarios on the collector's side (issue 12, item 5) for bench:faults: its SQLite
// store locked by another connection for a while, and its disk full. Real mosquitto with a
// persistent session and a SQLite collector (startRig); the agent is its spool and publisher in
// this process. Each returns produced / stored / lost / duplicated, with how many records were
// dead-lettered whole (store-failed) instead of stored, and how many store writes failed.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Outbox } from '../../agent/publish/outbox.js';
import { Publisher } from '../../agent/publish/publisher.js';
import { SqliteDeadLetter } from '../../collector/ingest/dead-letter.js';
import { spoolRecords } from '../spool/records.js';
import { waitFor } from '../support/stack.js';
import type { Tmpfs } from '../support/tmpfs.js';
import { type FaultResult, type Rig, startRig } from './scenarios.js';

const RECORDS_PER_BATCH = 10;

/** An agent in this process: seal and send batches, and wait until the broker has them all. */
async function agent(rig: Rig, stateDir: string, device: string) {
  const spool = new Outbox(stateDir, device);
  const publisher = new Publisher(spool, {
    brokerUrl: rig.broker.url,
    fleet: 'faults',
    device,
    describe: {},
    stateDir,
  });
  await waitFor(`${device} connected`, () => publisher.isConnected);
  return {
    send(batches: number): number {
      for (let i = 0; i < batches; i++) {
        const sealed = spool.seal(spoolRecords(RECORDS_PER_BATCH));
        publisher.enqueue(sealed.firstSeq, sealed.count);
      }
      return batches * RECORDS_PER_BATCH;
    },
    async close(): Promise<void> {
      if (!(await publisher.drain(120_000))) throw new Error(`${device}: spool not drained in 120 s`);
      await publisher.close();
    },
  };
}

function storedOf(rig: Rig, device: string): number[] {
  return [...rig.store.records()].filter((r) => r.device === device).map((r) => r.seq);
}

/** Waits until every produced record is stored or dead-lettered, then says what became of them. */
async function outcome(
  rig: Rig,
  scenario: string,
  device: string,
  produced: number,
  faultEndedAt: number,
): Promise<FaultResult> {
  const stats = rig.collector.stats;
  const deadLettered = () => (stats.rejected['store-failed'] ?? 0) * RECORDS_PER_BATCH;
  await waitFor(
    'every record stored or dead-lettered',
    () => new Set(storedOf(rig, device)).size + deadLettered() >= produced,
    180_000,
  );
  const recoverMs = Date.now() - faultEndedAt;
  await rig.collector.idle();
  const seqs = storedOf(rig, device);
  const distinct = new Set(seqs).size;
  return {
    scenario: `${scenario}; dead-lettered whole: ${deadLettered()} records, store write errors: ${stats.storeErrors}`,
    produced,
    stored: distinct,
    lost: produced - distinct,
    duplicated: seqs.length - distinct,
    redeliveriesIgnored: stats.duplicates,
    recoverMs,
    missing: [],
  };
}

/**
 * The store's file locked by another connection (a backup, a sqlite3 shell) for `lockMs` while an
 * agent streams `batches` batches; half are sent before the lock.
 */
export async function storeLocked(dir: string, batches: number, lockMs: number): Promise<FaultResult> {
  const device = 'rt-locked';
  const rig = await startRig(dir, `rt-locked-${lockMs}`);
  try {
    const sender = await agent(rig, join(dir, `${device}-${lockMs}`), device);
    let produced = sender.send(batches >> 1);
    await waitFor('first half stored', () => storedOf(rig, device).length === produced, 60_000);
    const other = new Database(rig.store.path);
    other.exec('BEGIN IMMEDIATE');
    produced += sender.send(batches - (batches >> 1));
    await sleep(lockMs);
    other.exec('ROLLBACK');
    other.close();
    const releasedAt = Date.now();
    await sender.close();
    return await outcome(
      rig,
      `collector store locked by another connection for ${lockMs / 1000} s`,
      device,
      produced,
      releasedAt,
    );
  } finally {
    await rig.stop();
  }
}

/**
 * The collector's disk (a tmpfs holding its store and dead-letter file) full for `fullMs` while an
 * agent streams; then room is made.
 */
export async function collectorDiskFull(
  dir: string,
  disk: Tmpfs,
  batches: number,
  fullMs: number,
): Promise<FaultResult> {
  const device = 'rt-collector-disk';
  const rig = await startRig(disk.path, 'rt-collector-disk');
  rig.collector.ingest.configure({ deadLetter: new SqliteDeadLetter(join(disk.path, 'dead-letter.sqlite')) });
  try {
    const sender = await agent(rig, join(dir, device), device);
    let produced = sender.send(batches >> 1);
    await waitFor('first half stored', () => storedOf(rig, device).length === produced, 60_000);
    disk.fill(0);
    produced += sender.send(batches - (batches >> 1));
    await sleep(fullMs);
    rmSync(join(disk.path, 'filler'));
    const freedAt = Date.now();
    await sender.close();
    return await outcome(
      rig,
      `collector disk full (store and dead-letter file on a full tmpfs) for ${fullMs / 1000} s`,
      device,
      produced,
      freedAt,
    );
  } finally {
    await rig.stop();
    rig.collector.ingest.deadLetter.close();
  }
}
