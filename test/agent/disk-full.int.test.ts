// A full disk for real (a 256 KiB tmpfs, issue 12 item 8): a short write must not be saved as a
// complete file, a failed write leaves no temp file, and the agent's spool drops its oldest
// batches and counts them instead of crashing; a real agent process on that disk never crashes,
// starts again on it, and drains its spool to a real broker and collector.

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { Outbox } from '../../agent/publish/outbox.js';
import { Collector } from '../../collector/collector.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { writeFileAtomicSync } from '../../common/files.js';
import { spoolRecords } from '../spool/records.js';
import { demoAgentArgs } from '../support/agent-args.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { freePort } from '../support/ports.js';
import { runCli } from '../support/process.js';
import { demoModel, tempDir, waitFor } from '../support/stack.js';
import { mountTmpfs, type Tmpfs, tmpfsRequirement } from '../support/tmpfs.js';
import { describeIf, describeWith } from '../support/tools.js';

let disk: Tmpfs | undefined;

beforeAll(() => {
  if (tmpfsRequirement().met) disk = mountTmpfs(256 * 1024);
});
afterAll(() => disk?.unmount());

const root = () => disk?.path ?? '';
const entries = (dir = root()) => readdirSync(dir).sort();

describeIf(tmpfsRequirement(), 'writeFileAtomicSync on a full disk (real tmpfs)', () => {
  beforeEach(() => {
    for (const file of entries()) rmSync(join(root(), file), { recursive: true, force: true });
  });

  it('throws ENOSPC on a short write, keeps the old content and leaves no temp file', () => {
    const target = join(root(), 'batch-a');
    writeFileAtomicSync(target, Buffer.alloc(1000, 1));
    disk?.fill(8 * 1024, 'filler-a');
    const big = Buffer.alloc(40 * 1024, 2); // more than is free: the first write is short
    expect(() => writeFileAtomicSync(target, big)).toThrow(/ENOSPC/);
    expect(readFileSync(target)).toEqual(Buffer.alloc(1000, 1));
    expect(entries().filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });
});

describeIf(tmpfsRequirement(), 'file spool on a full disk (real tmpfs)', () => {
  beforeEach(() => {
    for (const file of entries()) rmSync(join(root(), file), { recursive: true, force: true });
  });

  it('never throws: drops the oldest batches, counts every record it could not keep, leaves no temp file', () => {
    const stateDir = join(root(), 'agent-state');
    const spool = new Outbox(stateDir, 'full-dev');
    disk?.fill(24 * 1024);
    let produced = 0;
    for (let i = 0; i < 40; i++) {
      const sealed = spool.seal(spoolRecords(10, i * 10));
      produced += sealed.count;
    }
    const stats = spool.stats();
    expect(stats.droppedRecords).toBeGreaterThan(0);
    expect(stats.pendingRecords + stats.droppedRecords).toBe(produced);
    expect(spool.nextSeq).toBe(produced);
    // The newest batches are the ones kept.
    expect(spool.list().at(-1)?.firstSeq).toBe(produced - 10);
    const temp = [...entries(stateDir), ...entries(join(stateDir, 'outbox'))].filter((f) =>
      f.endsWith('.tmp'),
    );
    expect(temp).toEqual([]);
    // Acknowledging frees room: sealing stores batches again.
    for (const batch of spool.list()) spool.acknowledge(batch.firstSeq, batch.count);
    const dropped = spool.stats().droppedRecords;
    spool.seal(spoolRecords(10, produced));
    expect(spool.stats()).toMatchObject({ pendingRecords: 10, droppedRecords: dropped });
  });
});

describeWith(['mosquitto'], 'agent process on a full disk (real tmpfs, mosquitto, collector)', () => {
  let broker: Mosquitto;
  let store: SqliteStore;
  let collector: Collector;
  const work = tempDir('edgewatt-disk-full-');
  let modelPath = '';
  const started: ReturnType<typeof runCli>[] = [];

  beforeAll(async () => {
    if (!tmpfsRequirement().met) return;
    for (const file of entries()) rmSync(join(root(), file), { recursive: true, force: true });
    broker = await startMosquitto();
    store = new SqliteStore(join(work.path, 'disk-full.sqlite'));
    collector = new Collector(store, { broker: broker.url, clientId: 'disk-full-collector' });
    await collector.start();
    modelPath = await demoModel(work.path);
  }, 60_000);

  afterAll(async () => {
    for (const running of started) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    await collector?.stop();
    await broker?.remove();
    work.remove();
  });

  const agent = (brokerUrl: string, stateDir: string, count: number) => {
    const running = runCli(
      demoAgentArgs({
        broker: brokerUrl,
        fleet: 'disk',
        device: 'full-01',
        modelPath,
        stateDir,
        rate: 300,
        count,
      }),
      { EDGEWATT_LOG_LEVEL: 'info' },
    );
    started.push(running);
    return running;
  };

  /** The spool figures of the agent's last log line ('agent stopped'). */
  const finalSpool = (stderr: string) => {
    const line = stderr
      .split('\n')
      .filter((l) => l.includes('"agent stopped"'))
      .at(-1);
    return (JSON.parse(line ?? '{}') as { spool?: { droppedRecords: number; pendingRecords: number } }).spool;
  };

  it('keeps running while the disk is full, starts again on it, drains, and counts every record it lost', async () => {
    if (!tmpfsRequirement().met) return;
    const stateDir = join(root(), 'agent');
    mkdirSync(stateDir);
    disk?.fill(40 * 1024);
    // 1. Broker unreachable: batches pile up on a disk with room for a few of them.
    const offline = agent(`mqtt://127.0.0.1:${await freePort()}`, stateDir, 600);
    const first = await offline.exited;
    expect(first.code, offline.stderr()).toBe(0);
    expect(offline.stderr()).not.toMatch(/ENOSPC.*\n\s+at /);
    expect(finalSpool(offline.stderr())?.droppedRecords ?? 0).toBeGreaterThan(0);
    // 2. Now the disk is full to the last byte; the agent restarts (birth.json cannot be written).
    disk?.fill(0, 'filler-2');
    expect(disk?.freeBytes()).toBeLessThan(4096);
    const online = agent(broker.url, stateDir, 50);
    const second = await online.exited;
    expect(second.code, online.stderr()).toBe(0);
    const spool = finalSpool(online.stderr());
    expect(spool?.pendingRecords, online.stderr()).toBe(0);
    await waitFor('collector idle', () => collector.stats.received > 0);
    await collector.idle();
    const stored = [...store.records()].filter((r) => r.device === 'full-01').map((r) => r.seq);
    const produced = 650;
    expect(new Set(stored).size).toBe(stored.length);
    expect(stored.every((seq) => seq >= 0 && seq < produced)).toBe(true);
    // Nothing lost without being counted (a dropped batch may still have reached the broker).
    expect(produced - stored.length).toBeLessThanOrEqual(spool?.droppedRecords ?? 0);
    expect(stored.length).toBeGreaterThan(0);
    const temp = [...entries(stateDir), ...entries(join(stateDir, 'outbox'))].filter((f) =>
      f.endsWith('.tmp'),
    );
    expect(temp).toEqual([]);
  }, 120_000);
});
