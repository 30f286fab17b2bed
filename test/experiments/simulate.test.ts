import { describe, expect, it } from 'vitest';
import {
  defaultFleetSpec,
  experimentOf,
  simulateAnalysis,
  simulateFleet,
  trueEnergyJ,
} from '../../collector/experiments/simulate.js';

describe('simulated fleet', () => {
  it('is reproducible per seed and tags experiment records only', () => {
    const a = simulateFleet(defaultFleetSpec({ boards: 3, seed: 5 }));
    const b = simulateFleet(defaultFleetSpec({ boards: 3, seed: 5 }));
    const c = simulateFleet(defaultFleetSpec({ boards: 3, seed: 6 }));
    expect(a.records).toEqual(b.records);
    expect(a.records[0]?.energyJ).not.toBe(c.records[0]?.energyJ);
    const pre = a.records.filter((r) => r.experiment === undefined);
    expect(pre.length).toBe(3 * 300); // 600 s at 0.5/s per board
    expect(pre.every((r) => r.startUs < a.startMs * 1000)).toBe(true);
    expect(a.records.filter((r) => r.arm === 'pruned').length).toBeGreaterThan(0);
    expect(a.trueRelDiff.pruned).toBeCloseTo(-0.07, 10);
  });

  it('keeps per-device seq increasing and records inside their scheduled arm', () => {
    const fleet = simulateFleet(defaultFleetSpec({ boards: 2 }));
    for (const device of fleet.devices) {
      const seqs = fleet.records.filter((r) => r.device === device).map((r) => r.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i));
    }
    for (const r of fleet.records.filter((x) => x.arm !== undefined)) {
      const p = fleet.schedule.find(
        (s) => s.device === r.device && r.startUs >= s.startMs * 1000 && r.startUs < s.endMs * 1000,
      );
      expect(p?.arm).toBe(r.arm);
    }
  });

  it('makes warm-up records costlier when an arm has a warm-up spike', () => {
    const fleet = simulateFleet(
      defaultFleetSpec({
        boards: 4,
        recordSdRel: 0,
        arms: [
          { id: 'dense', energyJ: 0.05 },
          { id: 'pruned', energyJ: 0.0465, warmupFactor: 3 },
        ],
      }),
    );
    const p = fleet.schedule.find((s) => s.arm === 'pruned' && s.warmupEndMs > s.startMs);
    if (p === undefined) throw new Error('no switch into pruned');
    const inWarmup = fleet.records.filter(
      (r) => r.device === p.device && r.startUs >= p.startMs * 1000 && r.startUs < p.warmupEndMs * 1000,
    );
    const settled = fleet.records.filter(
      (r) => r.device === p.device && r.startUs >= p.washoutEndMs * 1000 && r.startUs < p.endMs * 1000,
    );
    const mean = (xs: { energyJ: number }[]) => xs.reduce((s, x) => s + x.energyJ, 0) / xs.length;
    expect(mean(inWarmup) / mean(settled)).toBeGreaterThan(2);
  });

  it('simulates an auto arm: its offloaded share as offload records, priced as the mixture by the real analysis', () => {
    const offload = {
      share: 0.3,
      deviceEnergyJ: 0.012,
      serverEnergyJ: 0.004,
      roundTripMs: 40,
      accuracy: 0.93,
    };
    const spec = defaultFleetSpec({
      boards: 6,
      periods: 3,
      recordSdRel: 0.05,
      arms: [
        { id: 'dense', energyJ: 0.05, accuracy: 0.91 },
        { id: 'pruned', energyJ: 0.0465, accuracy: 0.89 },
        { id: 'auto', energyJ: 0.0465, accuracy: 0.89, placement: 'auto', offload },
      ],
    });
    const fleet = simulateFleet(spec);
    const without = simulateFleet(defaultFleetSpec({ boards: 6 }));
    expect(without.offloads).toEqual([]);
    // Known truth: 30 % of the auto arm's inputs offloaded; its true energy the mixture.
    const autoEdge = fleet.records.filter((r) => r.arm === 'auto');
    const fraction = fleet.offloads.length / (fleet.offloads.length + autoEdge.length);
    expect(Math.abs(fraction - 0.3)).toBeLessThan(0.03);
    expect(fleet.offloads.every((o) => o.arm === 'auto' && o.outcome === 'ok')).toBe(true);
    expect(autoEdge.every((r) => r.placement === 'edge')).toBe(true);
    expect(trueEnergyJ(spec.arms[2] as (typeof spec.arms)[number])).toBeCloseTo(
      0.7 * 0.0465 + 0.3 * 0.016,
      12,
    );
    expect(fleet.trueRelDiff.auto).toBeCloseTo((0.7 * 0.0465 + 0.3 * 0.016) / 0.05 - 1, 12);
    // Seqs stay one series per board across both kinds.
    for (const device of fleet.devices) {
      const seqs = [...fleet.records, ...fleet.offloads]
        .filter((r) => r.device === device)
        .map((r) => r.seq)
        .sort((a, b) => a - b);
      expect(seqs).toEqual(seqs.map((_, i) => i));
    }
    const { result } = simulateAnalysis(spec, { replicates: 200 });
    expect(experimentOf(spec, fleet.devices).arms[2]?.placement).toBe('auto');
    const auto = result.arms.find((a) => a.arm === 'auto');
    expect(auto?.autoShares?.offloadedFraction).toBeCloseTo(fraction, 1);
    expect(auto?.measuredOffload?.serverRegions).toEqual(['DE']);
    expect(auto?.provenance).toContain('mixture');
  });
});
