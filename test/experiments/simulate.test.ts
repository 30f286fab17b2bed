import { describe, expect, it } from 'vitest';
import { defaultFleetSpec, simulateFleet } from '../../collector/experiments/simulate.js';

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
});
