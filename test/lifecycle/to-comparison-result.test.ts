// The adapter from the engine's Comparison to the stores' ComparisonResult, on real engine runs of
// the example scenarios (small sample counts): grams, interval level, break-even per second, tags
// from the profile or from the measured data read from a real SQLite store; and the record guard.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compare, measure, parseScenario } from '../../collector/lifecycle/index.js';
import { checkRecordUrl, recordComparisons } from '../../collector/lifecycle/record-comparison.js';
import {
  INTERVAL_LEVEL,
  SECONDS_PER_DAY,
  toComparisonResult,
} from '../../collector/lifecycle/to-comparison-result.js';
import { StoreConfigError } from '../../collector/store/index.js';
import { comparisonLine } from '../../collector/store/influx-lines.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { EXAMPLES, measuredRecord, tempDir } from './helpers.js';

const example = (file: string, samples: number) => ({
  ...parseScenario(readFileSync(join(EXAMPLES, file), 'utf8'), file),
  samples,
});

describe('toComparisonResult', () => {
  it('maps a profile-only run: grams per inference, 5..95 % interval, break-even per second, none tags', () => {
    const scenario = example('pi4-wifi-gpu.yaml', 400);
    const comparison = compare(scenario);
    const result = toComparisonResult(comparison, scenario, {
      atUs: 1_700_000_000_000_000,
      scenarioName: 'pi4',
    });
    expect(result).toMatchObject({
      atUs: 1_700_000_000_000_000,
      fleet: 'none',
      board: 'rpi4',
      modelId: 'none',
      variant: 'none',
      scenario: 'pi4',
      unit: 'inference',
      intervalLevel: INTERVAL_LEVEL,
      samples: 400,
    });
    expect(result.device).toBeUndefined();
    expect(INTERVAL_LEVEL).toBe(0.9);
    expect(result.edge).toEqual({
      meanG: comparison.edge.total.central,
      lowG: comparison.edge.total.p5,
      highG: comparison.edge.total.p95,
    });
    expect(result.offload.lowG).toBe(comparison.offload.total.p5);
    expect(result.offload.highG).toBe(comparison.offload.total.p95);
    expect(result.edge.lowG).toBeLessThan(result.edge.highG);
    expect(result.probabilityEdgeWins).toBe(comparison.probabilityEdgeLower);
    // The example is a dedicated Pi whose embodied share falls with the rate: edge wins above N*.
    const be = comparison.breakEvenInferencesPerDay;
    expect(be.edgeLowerWhen).toBe('above');
    expect(be.inferencesPerDay).toBeGreaterThan(0);
    expect(result.breakEvenPerS).toBeCloseTo((be.inferencesPerDay as number) / SECONDS_PER_DAY, 12);
    // And it is a valid line-protocol point.
    expect(comparisonLine(result)).toMatch(
      /^comparison,fleet=none,board=rpi4,.*unit=inference .*break_even_per_s=/,
    );
  });

  it('uses the scenario name when it has one, and null break-even with `time` allocation', () => {
    const scenario = example('pi5-wifi-time-marginal.yaml', 50);
    const comparison = compare(scenario);
    const result = toComparisonResult(comparison, scenario, { atUs: 1, scenarioName: 'file-name' });
    expect(comparison.scenario.allocation).toBe('time');
    expect(result.breakEvenPerS).toBeNull();
    expect(result.scenario).toBe('pi5-wifi-time-marginal');
    expect(comparisonLine(result)).not.toContain('break_even_per_s');
  });

  it('takes fleet, device, model and variant from the measured data read from a store', async () => {
    const dir = tempDir();
    try {
      const store = new SqliteStore(join(dir.path, 'store.sqlite'));
      await store.connect();
      const record = measuredRecord;
      await store.writeBatch(
        'lab',
        'pi4-kitchen',
        [0.006, 0.007, 0.0065].map((e, i) => record(i, e)),
      );
      const scenario = example('pi4-measured.yaml', 200);
      const measured = await measure(store, scenario.device.measured ?? { device: '', model: '' });
      const comparison = compare(scenario, () => measured);
      await store.close();
      const result = toComparisonResult(comparison, scenario, { atUs: 5 });
      expect(result).toMatchObject({
        fleet: 'lab',
        device: 'pi4-kitchen',
        board: 'rpi4',
        modelId: 'ef'.repeat(32),
        variant: 'cnn-base',
        scenario: 'pi4-measured',
        samples: 200,
      });
      expect(comparisonLine(result)).toContain(`device=pi4-kitchen,board=rpi4,model=${'ef'.repeat(8)},`);
    } finally {
      dir.remove();
    }
  });
});

describe('recording comparisons', () => {
  it('refuses a store that cannot hold comparisons, naming the flag and the value', async () => {
    const url = 'mysql://127.0.0.1/edgewatt';
    expect(() => checkRecordUrl(url, '--record')).toThrow(StoreConfigError);
    expect(() => checkRecordUrl(url, '--record')).toThrow(
      /--record "mysql:\/\/127\.0\.0\.1\/edgewatt": this store cannot hold comparison results; use influxdb:\/\/<host>:<port>\/<database>, sqlite:<path>/,
    );
    await expect(recordComparisons(url, [])).rejects.toThrow(/--record "mysql:/);
    expect(() => checkRecordUrl('influxdb://127.0.0.1:8086/edgewatt', '--record')).not.toThrow();
    expect(() => checkRecordUrl('sqlite:x.sqlite', '--record')).not.toThrow();
  });

  it('writes to a SQLite file (table `comparison`) and reads the same results back', async () => {
    const dir = tempDir();
    try {
      const scenario = example('pi4-wifi-gpu.yaml', 300);
      const result = toComparisonResult(compare(scenario), scenario, {
        atUs: 1_700_000_000_000_000,
        scenarioName: 'pi4',
      });
      const measured = { ...result, atUs: result.atUs + 1, device: 'pi4-kitchen', breakEvenPerS: null };
      const path = join(dir.path, 'nested', 'c.sqlite');
      await recordComparisons(`sqlite:${path}`, [result, measured]);
      await recordComparisons(`sqlite:${path}`, [{ ...result, samples: 301 }]); // same key: overwrites
      const store = new SqliteStore(path, { readOnly: true });
      await store.connect();
      try {
        expect(store.comparisons()).toEqual([{ ...result, samples: 301 }, measured]);
      } finally {
        await store.close();
      }
    } finally {
      dir.remove();
    }
  });
});
