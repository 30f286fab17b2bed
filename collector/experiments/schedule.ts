// The schedule of an experiment: which arm each board runs in each period, and the washout after
// each switch. Crossover: every board runs every arm, in an order drawn per board and per block of
// K periods (a seeded permutation of the K arms), so each arm gets the same number of periods and
// time trends do not line up with arms. Parallel: boards are shuffled and dealt to arms in turn.
// Pure and seeded: the same file and start time give the same schedule (it is also re-derived at
// analysis time, so nothing but the start time must be stored).

import { hashString, Xoshiro128 } from '../lifecycle/random.js';

export interface Period {
  device: string;
  period: number;
  arm: string;
  startMs: number;
  endMs: number;
  /** Records in [startMs, washoutEndMs) come right after a switch: kept, not analysed. */
  washoutEndMs: number;
  /** Records in [startMs, warmupEndMs) are counted as warm-up (a subset of the excluded span). */
  warmupEndMs: number;
  /** The arm of the board's previous period; null for the first. */
  previousArm: string | null;
}

export interface ScheduleSpec {
  design: 'crossover' | 'parallel';
  arms: readonly string[];
  periods: number;
  periodS: number;
  washoutS: number;
  warmupS: number;
  seed: number;
}

function shuffle<T>(items: T[], random: Xoshiro128): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** The arm of each board in each period, without times. */
export function armOrder(spec: ScheduleSpec, devices: readonly string[]): Map<string, string[]> {
  const order = new Map<string, string[]>();
  if (spec.design === 'parallel') {
    const random = new Xoshiro128(spec.seed, hashString('parallel'));
    const dealt = shuffle([...devices].sort(), random);
    dealt.forEach((device, i) => {
      const arm = spec.arms[i % spec.arms.length] as string;
      order.set(
        device,
        Array.from({ length: spec.periods }, () => arm),
      );
    });
    return order;
  }
  for (const device of devices) {
    // One stream per device: adding a board does not change the others' orders.
    const random = new Xoshiro128(spec.seed, hashString(`crossover:${device}`));
    const arms: string[] = [];
    while (arms.length < spec.periods) arms.push(...shuffle([...spec.arms], random));
    order.set(device, arms.slice(0, spec.periods));
  }
  return order;
}

export function buildSchedule(spec: ScheduleSpec, devices: readonly string[], startMs: number): Period[] {
  const periodMs = spec.periodS * 1000;
  const out: Period[] = [];
  for (const [device, arms] of armOrder(spec, devices)) {
    arms.forEach((arm, period) => {
      const startAt = startMs + period * periodMs;
      const previousArm = period === 0 ? null : (arms[period - 1] as string);
      // The first period follows the switch into the experiment; a period that keeps the arm has no switch.
      const switched = previousArm !== arm;
      out.push({
        device,
        period,
        arm,
        startMs: startAt,
        endMs: startAt + periodMs,
        washoutEndMs: switched ? startAt + Math.max(spec.washoutS, spec.warmupS) * 1000 : startAt,
        warmupEndMs: switched ? startAt + spec.warmupS * 1000 : startAt,
        previousArm,
      });
    });
  }
  return out.sort((a, b) => a.device.localeCompare(b.device) || a.period - b.period);
}

/** What of an experiment file the schedule depends on (its arms by id). */
export type ScheduledExperiment = Omit<ScheduleSpec, 'arms'> & { arms: readonly { id: string }[] };

/** An experiment's schedule for its boards from `startMs`: the plan, the driver and the analysis agree. */
export function experimentSchedule(
  experiment: ScheduledExperiment,
  devices: readonly string[],
  startMs: number,
): Period[] {
  const { design, periods, periodS, washoutS, warmupS, seed } = experiment;
  const arms = experiment.arms.map((a) => a.id);
  return buildSchedule({ design, arms, periods, periodS, washoutS, warmupS, seed }, devices, startMs);
}

/** The period a record at `atMs` on `device` falls in, or undefined (before, after, or not scheduled). */
export function periodAt(byDevice: Map<string, Period[]>, device: string, atMs: number): Period | undefined {
  const periods = byDevice.get(device);
  if (periods === undefined || periods.length === 0) return undefined;
  const first = periods[0] as Period;
  const periodMs = first.endMs - first.startMs;
  const index = Math.floor((atMs - first.startMs) / periodMs);
  return index >= 0 && index < periods.length ? periods[index] : undefined;
}

export function byDevice(schedule: readonly Period[]): Map<string, Period[]> {
  const map = new Map<string, Period[]>();
  for (const period of schedule) {
    const list = map.get(period.device) ?? [];
    list.push(period);
    map.set(period.device, list);
  }
  for (const list of map.values()) list.sort((a, b) => a.period - b.period);
  return map;
}
