// The library API from a test application: a child process importing the built package by its
// name (`edgewatt`, `edgewatt/agent`, through package.json "exports") runs inferences, gives
// feedback and measures code windows; the records, the windows and the feedback reach a real
// collector (embedded broker, SQLite) through the agent's spool and publisher.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledRecords } from '../../collector/store/index.js';
import { type Stack, startStack, tempDir, waitFor } from '../support/stack.js';

const APP = fileURLToPath(new URL('../fixtures/library-app/app.mjs', import.meta.url));
const ZOO_MODEL = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));
const dir = tempDir('edgewatt-library-');
let stack: Stack;

beforeAll(async () => {
  stack = await startStack(join(dir.path, 'store.sqlite'));
});
afterAll(async () => {
  await stack.stop();
  dir.remove();
});

describe('the library API from an application', () => {
  it('runs, answers with energy, measures windows and publishes it all through the spool', async () => {
    expect(existsSync(new URL('../../dist/lib/agent.d.ts', import.meta.url)), 'run npm run build first').toBe(
      true,
    );
    const child = spawn(process.execPath, [APP, ZOO_MODEL, join(dir.path, 'state'), stack.broker.url], {
      env: { ...process.env, EDGEWATT_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const [code] = await once(child, 'exit');
    expect(code, err).toBe(0);
    const seen = JSON.parse(out.trim().split('\n').pop() ?? '{}');
    expect(seen.answer.predictedClass).toHaveLength(1);
    expect(seen.answer.energy.provenance).toBe('estimated');
    expect(seen.typedOutput).toEqual(seen.answer.output);
    expect(seen.feedback).toEqual({
      seq: seen.answer.seq,
      label: seen.answer.predictedClass[0],
      correct: true,
    });
    expect(seen.measured.result).toBe(42);
    // A 30 ms busy loop: the window lasts at least that, and costs energy.
    expect(seen.measured.window.durationMs).toBeGreaterThanOrEqual(30);
    expect(seen.measured.window.energyJ).toBeGreaterThan(0);
    expect(seen.window.name).toBe('postprocess');
    expect(seen.refused).toEqual({ name: 'InputError', problem: 'shape' });
    expect(seen.status.inferences).toBe(4);
    expect(seen.text).toContain('model cnn-base');
    expect(seen.hasInputSourceField).toBe(true);

    await waitFor('records stored', () => stack.store.count({ device: 'lib-app' }) === 4);
    await waitFor('feedback stored', () => stack.collector.stats.feedbacks >= 1);
    const records = [];
    for await (const r of readLabelledRecords(stack.store, { device: 'lib-app' })) records.push(r);
    expect(records.map((r) => [r.variant, r.inputSource])).toEqual([
      ['cnn-base', 'library'],
      ['cnn-base', 'library'],
      ['preprocess', 'library'],
      ['postprocess', 'library'],
    ]);
    expect(records[0]?.label).toBe(seen.answer.predictedClass[0]);
    expect(records[0]?.correct).toBe(true);
    expect(records[2]?.modelId).toBe('window:preprocess');
    expect(records[2]?.durationUs).toBeGreaterThanOrEqual(30_000);
    // Windows do not overlap: each starts after the previous one ended.
    for (let i = 1; i < records.length; i++) {
      const before = records[i - 1] as { startUs: number; durationUs: number };
      expect((records[i] as { startUs: number }).startUs).toBeGreaterThanOrEqual(
        before.startUs + before.durationUs - 1,
      );
    }
  }, 60_000);
});
