// The command line as a user runs it: real processes, real signals, real files.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/process.js';
import { demoModel, demoTrustedKey, type Stack, startStack, tempDir, waitFor } from '../support/stack.js';

const dir = tempDir();
let modelPath = '';

beforeAll(async () => {
  modelPath = await demoModel(dir.path);
});
afterAll(() => dir.remove());

describe('edgewatt demo', () => {
  it('runs broker, collector and three agents, prints tables, and exits by itself after --duration', async () => {
    const demo = runCli([
      'demo',
      '--duration',
      '4',
      '--interval',
      '1',
      '--data-dir',
      join(dir.path, 'demo-a'),
    ]);
    const { code } = await demo.exited;
    expect(code, demo.stderr()).toBe(0);
    const out = demo.stdout();
    for (const device of ['pi4-kitchen', 'pi5-lab', 'orin-gate']) expect(out).toContain(device);
    for (const board of ['rpi4', 'rpi5', 'jetson-orin-nano']) expect(out).toContain(board);
    expect(out).toContain('estimated (simulated:rpi4)');
    expect(out).toMatch(/\d+ records stored once each \(0 redelivered duplicates ignored, 0 rejected\)/);
    expect(out.match(/^\[\d+ s\]$/gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
  });

  it('stops cleanly on Ctrl-C (SIGINT) with a final table and exit code 0', async () => {
    const demo = runCli(['demo', '--interval', '1', '--data-dir', join(dir.path, 'demo-b')]);
    await waitFor('first table', () => /pi5-lab/.test(demo.stdout()), 20_000);
    demo.child.kill('SIGINT');
    const { code } = await demo.exited;
    expect(code, demo.stderr()).toBe(0);
    expect(demo.stdout()).toContain('final, after');
  });
});

describe('edgewatt agent and export', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(join(dir.path, 'cli.sqlite'));
  });
  afterAll(async () => stack.stop());

  it('survives SIGKILL of the agent process: the restarted agent neither loses nor repeats a sequence number', async () => {
    const stateDir = join(dir.path, 'state-k');
    const args = [
      'agent',
      '--broker',
      stack.broker.url,
      '--fleet',
      'cli',
      '--device',
      'pi4-k',
      '--sensor',
      'simulated:rpi4',
      '--model',
      modelPath,
      '--trusted-key',
      demoTrustedKey(modelPath),
      '--rate',
      '200',
      '--batch-max',
      '5',
      '--flush-ms',
      '50',
      '--state-dir',
      stateDir,
    ];
    const first = runCli(args);
    await waitFor('records from the first process', () => stack.store.count() >= 40, 20_000);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = runCli([...args, '--count', '50']);
    expect((await second.exited).code, second.stderr()).toBe(0);
    await stack.collector.idle();

    const nextSeq = (JSON.parse(readFileSync(join(stateDir, 'seq.json'), 'utf8')) as { nextSeq: number })
      .nextSeq;
    const seqs = [...stack.store.records()].filter((r) => r.device === 'pi4-k').map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: nextSeq }, (_, i) => i));
    expect(seqs.length).toBeGreaterThanOrEqual(90);
  });

  it('exports exactly the stored records as CSV and JSON Lines', async () => {
    const storeUrl = `sqlite:${join(dir.path, 'cli.sqlite')}`;
    const stored = [...stack.store.records()];
    const csv = runCli(['export', '--store', storeUrl]);
    expect((await csv.exited).code, csv.stderr()).toBe(0);
    const lines = csv.stdout().trimEnd().split('\n');
    expect(lines[0]).toBe(
      'fleet,device,seq,startUs,durationUs,energyJ,energyUncertaintyJ,baselineW,sampleCount,provenance,sensor,modelId,variant,backend,batchSize,inputBytes,outputBytes,correct,method,windowInferences,experiment,arm,placement,baselineUncertaintyW,inputSource,receivedUs,label',
    );
    expect(lines).toHaveLength(stored.length + 1);

    const jsonl = runCli(['export', '--store', storeUrl, '--format', 'jsonl']);
    expect((await jsonl.exited).code, jsonl.stderr()).toBe(0);
    const parsed = jsonl
      .stdout()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    // No feedback was given: every record's label is null.
    expect(parsed).toEqual(stored.map((record) => ({ ...record, label: null })));
    expect(csv.stderr()).toContain(`exported ${stored.length} records`);
  });
});
