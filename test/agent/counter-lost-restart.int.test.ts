// Issue 12 item 7, the rest: the collector's answer to a birth (cmd/seq) used to live in its memory,
// so a collector restarted since the device last sent answered `null`, and an agent that had lost
// its counter restarted at seq 0: its next records were dropped as duplicates. Now the answer comes
// from the store. Real mosquitto, real collector processes (the first one SIGKILLed), real agents.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { demoAgentArgs } from '../support/agent-args.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Running, runCli, startCollectorProcess } from '../support/process.js';
import { demoModel, tempDir, waitFor } from '../support/stack.js';
import { describeWith, hasTools } from '../support/tools.js';

const dir = tempDir('edgewatt-counter-restart-');
const storePath = join(dir.path, 'records.sqlite');
const DEVICE = 'pi4-restart';
let broker: Mosquitto;
let modelPath = '';
const started: Running[] = [];

beforeAll(async () => {
  if (!hasTools('mosquitto')) return;
  broker = await startMosquitto();
  modelPath = await demoModel(dir.path);
}, 60_000);

afterAll(async () => {
  for (const running of started) if (running.child.exitCode === null) running.child.kill('SIGKILL');
  await broker?.remove();
  dir.remove();
});

async function collector(): Promise<Running> {
  const running = await startCollectorProcess([
    ...['--broker', broker.url, '--store', `sqlite:${storePath}`, '--client-id', 'restart-collector'],
    ...['--http', '127.0.0.1:0', '--stats-interval', '0'],
  ]);
  started.push(running);
  return running;
}

async function agent(stateDir: string, count: number): Promise<Running> {
  const running = runCli(
    demoAgentArgs({ broker: broker.url, fleet: 'lab', device: DEVICE, modelPath, stateDir, count }),
  );
  started.push(running);
  const { code } = await running.exited;
  expect(code, running.stderr()).toBe(0);
  return running;
}

/** Seqs of the device in the store file, as another reader of the collector's file sees them. */
async function storedSeqs(): Promise<number[]> {
  const store = new SqliteStore(storePath, { readOnly: true });
  await store.connect();
  try {
    return [...store.records({ device: DEVICE })].map((r) => r.seq).sort((a, b) => a - b);
  } finally {
    await store.close();
  }
}

/** A counter of the collector's GET /metrics. */
async function metric(running: Running, name: string): Promise<number> {
  const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(running.stderr())?.[1];
  if (url === undefined) throw new Error(`no HTTP address in the collector's log:\n${running.stderr()}`);
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

describeWith(['mosquitto'], 'counter lost after a collector restart (real processes)', () => {
  it('the restarted collector answers the birth from its store: 0 records lost, 0 duplicated', async () => {
    const stateDir = join(dir.path, 'state');
    const first = await collector();
    await agent(stateDir, 40);
    let seqs: number[] = [];
    await waitFor('the first 40 records stored', () => {
      void storedSeqs().then((s) => {
        seqs = s;
      });
      return seqs.length === 40;
    });
    // The collector dies (kill -9) and comes back: its memory of the device is gone, the file is not.
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await collector();
    // The agent loses its whole counter (seq.json and its backup) with nothing pending.
    for (const file of ['seq.json', 'seq.backup.json']) rmSync(join(stateDir, file), { force: true });
    const again = await agent(stateDir, 40);
    await waitFor('80 records stored', () => {
      void storedSeqs().then((s) => {
        seqs = s;
      });
      return seqs.length >= 80;
    }).catch(() => undefined);
    // Before: the restarted collector answered null, the agent numbered from 0 again, and its 40
    // records were dropped as duplicates (40 stored of 80 produced).
    expect(await storedSeqs()).toEqual(Array.from({ length: 80 }, (_, i) => i));
    expect(await metric(second, 'edgewatt_duplicate_records_total')).toBe(0);
    expect(await metric(second, 'edgewatt_records_stored_total')).toBe(40);
    // The restarted collector still flags that the device came back with its counter behind.
    expect(await metric(second, 'edgewatt_seq_regressions_total')).toBe(1);
    expect(again.stderr()).toContain('numbering continues after them');
  }, 90_000);
});
