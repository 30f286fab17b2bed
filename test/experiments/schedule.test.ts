import { describe, expect, it } from 'vitest';
import { armOrder, buildSchedule, byDevice, periodAt } from '../../collector/experiments/schedule.js';

const spec = {
  design: 'crossover' as const,
  arms: ['a', 'b'],
  periods: 4,
  periodS: 600,
  washoutS: 60,
  warmupS: 30,
  seed: 7,
};
const devices = Array.from({ length: 20 }, (_, i) => `pi-${i}`);

describe('crossover schedule', () => {
  it('gives every board every arm equally often, in orders that differ between boards', () => {
    const order = armOrder(spec, devices);
    const sequences = new Set<string>();
    for (const arms of order.values()) {
      expect(arms.filter((a) => a === 'a')).toHaveLength(2);
      expect(arms.filter((a) => a === 'b')).toHaveLength(2);
      sequences.add(arms.join(''));
    }
    expect(sequences.size).toBeGreaterThan(1);
  });

  it('is the same for the same seed, different for another, and per board independent of the others', () => {
    expect([...armOrder(spec, devices)]).toEqual([...armOrder(spec, devices)]);
    expect([...armOrder({ ...spec, seed: 8 }, devices)]).not.toEqual([...armOrder(spec, devices)]);
    expect(armOrder(spec, ['pi-3']).get('pi-3')).toEqual(armOrder(spec, devices).get('pi-3'));
  });

  it('puts a washout after each switch only, and finds the period of a time', () => {
    const schedule = buildSchedule(spec, devices, 1_000_000);
    for (const p of schedule) {
      const switched = p.previousArm !== p.arm;
      expect(p.washoutEndMs - p.startMs).toBe(switched ? 60_000 : 0);
      expect(p.warmupEndMs - p.startMs).toBe(switched ? 30_000 : 0);
      expect(p.endMs - p.startMs).toBe(600_000);
    }
    const map = byDevice(schedule);
    expect(periodAt(map, 'pi-0', 1_000_000 + 600_000)?.period).toBe(1);
    expect(periodAt(map, 'pi-0', 1_000_000 - 1)).toBeUndefined();
    expect(periodAt(map, 'pi-0', 1_000_000 + 2_400_000)).toBeUndefined();
    expect(periodAt(map, 'nobody', 1_000_000)).toBeUndefined();
  });
});

describe('parallel schedule', () => {
  it('deals boards to arms in balanced groups, one arm per board throughout', () => {
    const order = armOrder({ ...spec, design: 'parallel' }, devices);
    const perArm = { a: 0, b: 0 } as Record<string, number>;
    for (const arms of order.values()) {
      expect(new Set(arms).size).toBe(1);
      perArm[arms[0] as string] = (perArm[arms[0] as string] ?? 0) + 1;
    }
    expect(perArm).toEqual({ a: 10, b: 10 });
  });
});
