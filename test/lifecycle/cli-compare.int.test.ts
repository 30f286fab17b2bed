// `edgewatt compare` as a real process (bin/edgewatt.js on the built dist/): text and JSON output of
// an example scenario, and a bad scenario that exits 1 naming the field.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { runCli } from '../support/process.js';
import { EXAMPLES, tempDir } from './helpers.js';

const EXAMPLE = join(EXAMPLES, 'pi4-wifi-gpu.yaml');

describe('edgewatt compare (process)', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('prints a readable comparison', async () => {
    const run = runCli(['compare', '--scenario', EXAMPLE]);
    expect((await run.exited).code).toBe(0);
    const out = run.stdout();
    expect(out).toMatch(/→ offload is lower in 100\.0 % of draws; edge − offload = 597 µg \[/);
    for (const part of [
      'EDGE total',
      'OFFLOAD total',
      'deviceRadio',
      'P(edge lower)',
      'break-even',
      'drivers',
      'ESTIMATE',
    ]) {
      expect(out).toContain(part);
    }
  });

  it('--json prints the documented shape', async () => {
    const run = runCli(['compare', '--scenario', EXAMPLE, '--json']);
    expect((await run.exited).code).toBe(0);
    const body = JSON.parse(run.stdout());
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining([
        'unit',
        'edge',
        'offload',
        'difference',
        'ratio',
        'probabilityEdgeLower',
        'breakEvenInferencesPerDay',
        'trainingExceededAfter',
        'perCorrectInference',
        'sensitivity',
        'provenance',
        'warnings',
      ]),
    );
    expect(Object.keys(body.edge.terms)).toEqual(['operational', 'idle', 'embodied', 'training']);
    expect(body.breakEvenInferencesPerDay.crossings).toEqual([
      body.breakEvenInferencesPerDay.inferencesPerDay,
    ]);
    expect(body.edge.total).toEqual({
      central: expect.any(Number),
      median: expect.any(Number),
      p5: expect.any(Number),
      p95: expect.any(Number),
    });
  });

  it('--samples and --seed override the scenario; --samples 1 gives the central values', async () => {
    const run = runCli(['compare', '--scenario', EXAMPLE, '--json', '--samples', '1', '--seed', '9']);
    expect((await run.exited).code).toBe(0);
    const body = JSON.parse(run.stdout());
    expect(body.scenario).toMatchObject({ samples: 1, seed: 9 });
    expect(body.edge.total.p5).toBe(body.edge.total.central);
    const bad = runCli(['compare', '--scenario', EXAMPLE, '--samples', '0']);
    expect((await bad.exited).code).toBe(1);
    expect(bad.stderr()).toMatch(/--samples from --samples = "0"/);
  });

  it('--store feeds `measured` device values from a SQLite store', async () => {
    const path = join(dir.path, 'm.sqlite');
    const store = new SqliteStore(path);
    await store.connect();
    await store.writeBatch(
      'demo',
      'pi4-kitchen',
      [0.006, 0.007].map((energyJ, seq) => ({
        seq,
        startUs: 1_700_000_000_000_000 + seq,
        durationUs: 1500,
        energyJ,
        energyUncertaintyJ: 0.0006,
        baselineW: 2.7,
        sampleCount: 0,
        provenance: 'estimated' as const,
        sensor: 'simulated:rpi4',
        modelId: '12'.repeat(32),
        variant: 'cnn-base',
        backend: 'wasm',
        batchSize: 1,
        inputBytes: 3136,
        outputBytes: 40,
        correct: null,
      })),
    );
    await store.close();
    const run = runCli([
      'compare',
      '--scenario',
      join(EXAMPLES, 'pi4-measured.yaml'),
      '--store',
      `sqlite:${path}`,
    ]);
    expect((await run.exited).code).toBe(0);
    expect(run.stdout()).toContain('measured: 2 records of demo/pi4-kitchen');
    expect(run.stdout()).toContain('energy is estimated (simulated:rpi4)');
    expect(run.stdout()).toMatch(/store-estimate:\n\s+device\.energyJ = 0\.006500/);
  });

  it('a bad scenario exits 1 and names the field', async () => {
    const file = join(dir.path, 'bad.yaml');
    writeFileSync(
      file,
      'workload: { inferencesPerDay: 1, inputBytes: 1, outputBytes: 1 }\ndevice: { profile: rpi4, colour: red }\ndatacenter: {}\n',
    );
    const run = runCli(['compare', '--scenario', file]);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toContain('device.colour: unknown field');
  });

  it('--profiles lists boards, links, servers, PUE classes and regions with sources', async () => {
    const run = runCli(['compare', '--profiles']);
    expect((await run.exited).code).toBe(0);
    expect(run.stdout()).toMatch(
      /rpi4 — Raspberry Pi 4 Model B\n\s+idleW: 2\.700 \(1\.60…3\.00, triangular\) — pwr_pi4_idle/,
    );
    expect(run.stdout()).toContain('lifetimeYears: UNSOURCED');
    const none = runCli(['compare']);
    expect((await none.exited).code).toBe(1);
    expect(none.stderr()).toContain('--scenario: give the scenario file');
  });

  it('a missing file exits 1 with the path', async () => {
    const run = runCli(['compare', '--scenario', join(dir.path, 'none.yaml')]);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toMatch(/--scenario .*none\.yaml: cannot be read/);
  });
});
