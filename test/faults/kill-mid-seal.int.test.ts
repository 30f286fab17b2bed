// kill -9 of a real agent process while a seal is in flight off the event loop (its fsyncs made
// slow by test/faults/slow-fsync.ts, and the kill sent while one is under way): after a restart,
// every seq the device ever made durable is stored exactly once, and none is missing — records
// that were numbered but not yet durable had their numbers reused, as held records do.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoAgentArgs } from '../support/agent-args.js';
import { demoModel, tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';
import { startRig } from './scenarios.js';

const dir = tempDir('edgewatt-kill-mid-seal-');
let modelPath = '';
beforeAll(async () => {
  modelPath = await demoModel(dir.path);
});
afterAll(() => dir.remove());

describeWith(['mosquitto'], 'agent killed with SIGKILL mid-seal', () => {
  it('loses nothing that was made durable and stores nothing twice', async () => {
    const rig = await startRig(dir.path, 'mid-seal');
    const stateDir = join(dir.path, 'agents', 'm1-pi4');
    const args = demoAgentArgs({
      broker: rig.broker.url,
      fleet: 'faults',
      device: 'm1-pi4',
      modelPath,
      stateDir,
      rate: 100,
      batchMax: 200,
      flushMs: 50,
    });
    const run = (preload: string[], extra: string[]) =>
      spawn(
        process.execPath,
        ['--import', 'tsx', ...preload, 'test/faults/agent-process.ts', ...args.slice(1), ...extra],
        {
          env: { ...process.env, EDGEWATT_LOG_LEVEL: 'warn', SLOW_FSYNC_MS: '100' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
    try {
      const first = run(['--import', './test/faults/slow-fsync.ts'], []);
      let inFlight = 0;
      let fsyncs = 0;
      first.stderr.setEncoding('utf8');
      first.stderr.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) {
          if (line === 'fsync start') {
            inFlight++;
            fsyncs++;
          } else if (line === 'fsync end') inFlight--;
        }
      });
      await waitFor('records from the first process', () => rig.store.count() >= 200, 60_000);
      await waitFor('an fsync under way', () => inFlight > 0, 30_000);
      first.kill('SIGKILL');
      await once(first, 'exit');
      expect(fsyncs).toBeGreaterThan(6); // the seals went through the slowed off-loop path
      const restartedAtUs = Date.now() * 1000;

      const second = run([], ['--count', '300']);
      const [code] = (await once(second, 'exit')) as [number | null];
      expect(code).toBe(0);
      // Every seq the spool ever numbered durably (never skipped) is stored, once.
      const nextSeq = (JSON.parse(readFileSync(join(stateDir, 'seq.json'), 'utf8')) as { nextSeq: number })
        .nextSeq;
      await waitFor('the restarted agent caught up', () => rig.store.count() >= nextSeq, 30_000);
      await rig.collector.idle();
      const stored = [...rig.store.records()].filter((r) => r.device === 'm1-pi4');
      const seqs = stored.map((r) => r.seq);
      expect(seqs.length).toBe(new Set(seqs).size);
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: nextSeq }, (_, seq) => seq));
      // No seq of a record of the killed process was handed out again: the restarted process's 300
      // records are exactly the last 300 seqs (a reused seq would have been dropped as a duplicate).
      const restarted = stored.filter((r) => r.startUs >= restartedAtUs).map((r) => r.seq);
      const killed = stored.filter((r) => r.startUs < restartedAtUs).map((r) => r.seq);
      expect(restarted).toHaveLength(300);
      expect(Math.min(...restarted)).toBe(nextSeq - 300);
      expect(Math.max(...killed)).toBe(nextSeq - 301);
    } finally {
      await rig.stop();
    }
  }, 120_000);
});
