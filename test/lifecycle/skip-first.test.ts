// --skip-first N (issue 13, warm-up): the first N records of each device and model are dropped
// before means are taken. Known truth: a simulated run whose first records are warm-up spikes
// (50–100× the median, as measured on a real first run) biases the mean unless they are skipped;
// with them skipped, the 95 % interval of the mean covers the true mean as often as it should.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measure } from '../../collector/lifecycle/index.js';
import { skipFirstPerModel } from '../../collector/store/index.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import type { InferenceRecord } from '../../protocol/index.js';
import { tempDir } from './helpers.js';

const A = 'ab'.repeat(32);
const B = 'cd'.repeat(32);

function record(seq: number, energyJ: number, modelId = A, durationUs = 1000): InferenceRecord {
  return {
    seq,
    startUs: 1_700_000_000_000_000 + seq * 10_000,
    durationUs,
    energyJ,
    energyUncertaintyJ: 0,
    baselineW: 2,
    sampleCount: 4,
    provenance: 'measured',
    sensor: 'ina219',
    modelId,
    variant: modelId === A ? 'cnn-base' : 'cnn-p50',
    backend: 'wasm',
    batchSize: 1,
    inputBytes: 784,
    outputBytes: 40,
    correct: null,
  };
}

/** Seeded uniform (mulberry32), so the coverage figure is the same on every run. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('skipFirstPerModel', () => {
  it('drops the first n of each fleet/device/model series, wherever they interleave', async () => {
    const rows = [
      { fleet: 'f', device: 'd1', modelId: A, n: 1 },
      { fleet: 'f', device: 'd1', modelId: B, n: 2 },
      { fleet: 'f', device: 'd1', modelId: A, n: 3 },
      { fleet: 'f', device: 'd1', modelId: A, n: 4 },
      { fleet: 'f', device: 'd2', modelId: A, n: 5 },
      { fleet: 'g', device: 'd1', modelId: A, n: 6 },
      { fleet: 'f', device: 'd1', modelId: B, n: 7 },
    ];
    const count = { skipped: 0 };
    const kept: number[] = [];
    for await (const r of skipFirstPerModel(rows, 1, count)) kept.push(r.n);
    expect(kept).toEqual([3, 4, 7]);
    expect(count.skipped).toBe(4);
    const all: number[] = [];
    for await (const r of skipFirstPerModel(rows, 0)) all.push(r.n);
    expect(all).toHaveLength(rows.length);
  });
});

describe('compare --skip-first on a run with warm-up spikes (known truth)', () => {
  const dir = tempDir();
  const store = new SqliteStore(join(dir.path, 'warm.sqlite'));
  const TRUE_MEAN_J = 0.005;
  const SD_J = 0.0005;
  const RUNS = 200;
  const PER_RUN = 60;
  const WARM = 10;

  beforeAll(async () => {
    await store.connect();
    const next = uniform(13);
    // Normal energies by Box–Muller; the first WARM of each run are 50–100× the median (compile steps).
    const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    for (let run = 0; run < RUNS; run++) {
      const records = Array.from({ length: PER_RUN }, (_, i) =>
        record(
          i,
          i < WARM ? TRUE_MEAN_J * (50 + 50 * next()) * (i === 0 ? 1 : 0.1) : TRUE_MEAN_J + SD_J * normal(),
        ),
      );
      await store.writeBatch('sim', `board-${run}`, records);
    }
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('without it the warm-up biases every run upward; with --skip-first 10 the 95 % interval covers the truth ~95 % of the time', async () => {
    let biasedRaw = 0;
    let covered = 0;
    for (let run = 0; run < RUNS; run++) {
      const raw = await measure(store, { device: `board-${run}`, model: 'cnn-base' });
      const skipped = await measure(store, { device: `board-${run}`, model: 'cnn-base', skipFirst: WARM });
      expect(raw.records).toBe(PER_RUN);
      expect(skipped.records).toBe(PER_RUN - WARM);
      expect(skipped.skippedFirst).toBe(WARM);
      const inside = (m: typeof raw) =>
        Math.abs(m.energyJ.mean - TRUE_MEAN_J) <= 1.96 * m.energyJ.standardError;
      if (raw.energyJ.mean > 1.1 * TRUE_MEAN_J) biasedRaw++;
      if (inside(skipped)) covered++;
    }
    // 200 runs: a binomial(200, 0.95) count lies in 181–198 with probability > 0.99.
    expect(covered).toBeGreaterThanOrEqual(181);
    expect(covered).toBeLessThanOrEqual(198);
    // Every run's mean with its warm-up in it is more than 10 % too high.
    expect(biasedRaw).toBe(RUNS);
  });

  it('says in the measurement how many records were skipped, and skips nothing by default', async () => {
    const m = await measure(store, { device: 'board-0', model: 'cnn-base' });
    expect(m.skippedFirst).toBeUndefined();
  });
});
