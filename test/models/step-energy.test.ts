// The energy of a training or pruning step (issue 13): the CPU-time estimate against its closed
// form, the counter meter across a wrap, a pruned child's inherited training, and that manifests
// signed before these fields existed still parse.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addStepEnergy,
  CounterAccumulator,
  counterMeter,
  cpuTimeMeter,
  HOST_CORE_POWER_W,
  inheritedTraining,
} from '../../models/train/step-energy.js';
import { manifestSchema, type StepEnergy } from '../../protocol/manifest/index.js';

function fakeClock() {
  const clock = { wall: 100, cpu: 5, wallS: () => clock.wall, cpuS: () => clock.cpu };
  return clock;
}

describe('cpu-time meter (no power sensor: a labelled estimate)', () => {
  it('charges the CPU-seconds of the step at the stated power per busy core, with its range', () => {
    const clock = fakeClock();
    const running = cpuTimeMeter(HOST_CORE_POWER_W, clock).start();
    clock.wall += 60;
    clock.cpu += 90; // two cores busy for 45 s
    const e = running.stop();
    expect(e).toMatchObject({
      energyJ: 900,
      lowJ: 450,
      highJ: 1350,
      provenance: 'estimated',
      wallS: 60,
      cpuS: 90,
    });
    expect(e.method).toBe('cpu-time × host power');
    expect(e.note).toMatch(/^ESTIMATE: .*90\.0 s × 10 W per busy core \(5–15 W, UNSOURCED/);
  });
});

describe('counter meter (RAPL)', () => {
  it('adds increments across a counter wrap and across several packages', () => {
    const values = [900, 10];
    const acc = new CounterAccumulator({
      readUj: () => [...values],
      rangesUj: [1000, 1e9],
      gainErrorRel: 0.05,
      covers: 'test',
    });
    values[0] = 100; // wrapped: +200
    values[1] = 60; // +50
    acc.poll();
    values[0] = 150; // +50
    acc.poll();
    expect(acc.totalUj).toBe(300);
  });

  it('is measured, with the gain error as its range', () => {
    let uj = 0;
    const clock = fakeClock();
    const running = counterMeter(
      { readUj: () => [uj], rangesUj: [2 ** 32], gainErrorRel: 0.05, covers: 'RAPL package-0' },
      1e9,
      clock,
    ).start();
    uj = 2_000_000;
    const e = running.stop();
    expect(e.provenance).toBe('measured');
    expect(e.energyJ).toBe(2);
    expect(e.lowJ).toBeCloseTo(1.9, 12);
    expect(e.highJ).toBeCloseTo(2.1, 12);
    expect(e.note).toMatch(/RAPL package-0.*other processes included/);
  });
});

const step = (energyJ: number, provenance: StepEnergy['provenance'] = 'estimated'): StepEnergy => ({
  energyJ,
  lowJ: energyJ / 2,
  highJ: energyJ * 2,
  provenance,
  method: 'cpu-time × host power',
  wallS: 1,
  cpuS: 2,
  note: 'n',
});

describe('a pruned child carries its lineage', () => {
  const parentId = 'a'.repeat(64);
  it("inherits its parent's training plus the parent's own pruning, marked as from the parent", () => {
    const inherited = inheritedTraining(parentId, { trainingEnergy: step(1000), pruningEnergy: step(100) });
    expect(inherited).toMatchObject({ energyJ: 1100, lowJ: 550, highJ: 2200, fromParent: parentId });
    expect(inheritedTraining(parentId, { trainingEnergy: step(1000) })?.energyJ).toBe(1000);
  });

  it('has none when the parent was made before training energy was measured', () => {
    expect(inheritedTraining(parentId, {})).toBeUndefined();
    expect(inheritedTraining(parentId, null)).toBeUndefined();
  });

  it('is measured only when every step was', () => {
    expect(addStepEnergy(step(1, 'measured'), step(1, 'measured')).provenance).toBe('measured');
    expect(addStepEnergy(step(1, 'measured'), step(1)).provenance).toBe('estimated');
  });
});

describe('manifest schema', () => {
  it('still accepts the signed zoo manifests, which have no energy fields', () => {
    const zoo = join(import.meta.dirname, '..', '..', 'models', 'zoo');
    for (const variant of ['cnn-base', 'cnn-p50', 'cnn-p70']) {
      const parsed = manifestSchema.parse(
        JSON.parse(readFileSync(join(zoo, variant, 'manifest.json'), 'utf8')),
      );
      expect(parsed.trainingEnergy).toBeUndefined();
    }
  });

  it('refuses an energy block without its provenance', () => {
    const zoo = join(import.meta.dirname, '..', '..', 'models', 'zoo', 'cnn-base', 'manifest.json');
    const base = JSON.parse(readFileSync(zoo, 'utf8'));
    expect(manifestSchema.safeParse({ ...base, trainingEnergy: step(5) }).success).toBe(true);
    const { provenance: _, ...bare } = step(5);
    expect(manifestSchema.safeParse({ ...base, trainingEnergy: bare }).success).toBe(false);
  });
});
