// Issue 12 item 7 with a real mosquitto and real agent processes: an agent whose seq.json and its
// backup were deleted with an empty outbox used to restart at seq 0, and the collector dropped its
// next records as duplicates. Now the collector answers the agent's birth on cmd/seq with the
// highest seq it stored, the agent continues after it, and nothing is dropped.

import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Collector } from '../../collector/collector.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { demoAgentArgs } from '../support/agent-args.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Running, runCli } from '../support/process.js';
import { demoModel, tempDir, waitFor } from '../support/stack.js';
import { describeWith, hasTools } from '../support/tools.js';

const dir = tempDir('edgewatt-counter-lost-');
let broker: Mosquitto;
let store: SqliteStore;
let collector: Collector;
let modelPath = '';
const started: Running[] = [];

beforeAll(async () => {
  if (!hasTools('mosquitto')) return;
  broker = await startMosquitto();
  store = new SqliteStore(join(dir.path, 'counter.sqlite'));
  collector = new Collector(store, { broker: broker.url, clientId: 'counter-collector' });
  await collector.start();
  modelPath = await demoModel(dir.path);
}, 60_000);

afterAll(async () => {
  for (const running of started) if (running.child.exitCode === null) running.child.kill('SIGKILL');
  await collector?.stop();
  await broker?.remove();
  dir.remove();
});

const seqsOf = (device: string) =>
  [...store.records()]
    .filter((r) => r.device === device)
    .map((r) => r.seq)
    .sort((a, b) => a - b);

async function runAgent(device: string, stateDir: string, count: number, spool: 'file' | 'sqlite') {
  const agent = runCli(
    demoAgentArgs({
      ...{ broker: broker.url, fleet: 'lab', device, modelPath, stateDir, count },
      extra: ['--spool', spool, '--warmup', '0'],
    }),
  );
  started.push(agent);
  const { code } = await agent.exited;
  expect(code, agent.stderr()).toBe(0);
  return agent;
}

describeWith(['mosquitto'], 'sequence counter lost (real mosquitto, agent processes)', () => {
  it.each(['file', 'sqlite'] as const)(
    'continues after the highest seq the collector stored when the whole counter is gone (%s spool)',
    async (spool) => {
      const device = `counter-${spool}`;
      const stateDir = join(dir.path, device);
      await runAgent(device, stateDir, 40, spool);
      await waitFor('first run stored', () => seqsOf(device).length === 40);
      // The counter lost as a whole, with nothing pending: seq.json and its backup, or the
      // SQLite spool (counter and batches in one file).
      const lost =
        spool === 'file'
          ? ['seq.json', 'seq.backup.json']
          : ['spool.sqlite', 'spool.sqlite-wal', 'spool.sqlite-shm'];
      if (spool === 'file') expect(readdirSync(join(stateDir, 'outbox'))).toEqual([]);
      for (const file of lost) rmSync(join(stateDir, file), { force: true });
      expect(existsSync(join(stateDir, lost[0] as string))).toBe(false);
      const duplicatesBefore = collector.stats.duplicates;
      const regressionsBefore = collector.stats.seqRegressions;
      const second = await runAgent(device, stateDir, 40, spool);
      await waitFor('second run stored', () => seqsOf(device).length >= 80, 30_000).catch(() => undefined);
      await collector.idle();
      // Before: the second run restarted at seq 0 and its 40 records were dropped as duplicates.
      expect(seqsOf(device)).toEqual(Array.from({ length: 80 }, (_, i) => i));
      expect(collector.stats.duplicates - duplicatesBefore).toBe(0);
      // The collector still flags that the device came back with a counter behind what it stored.
      expect(collector.stats.seqRegressions - regressionsBefore).toBe(1);
      expect(second.stderr()).toContain('numbering continues after them');
    },
    60_000,
  );
});
