// The energy of one step of making a model (training, pruning with its fine-tuning), measured
// around the step by `model train` and `model prune` and written into the manifest (issue 13).
// Two meters: energy counters (RAPL, built by the CLI from the agent's sensor code) where they
// can be read, otherwise process CPU time × a stated power per busy core, labelled estimated.

import type { StepEnergy } from '../../protocol/manifest/index.js';

/** A meter started before a step; `stop()` returns what the step took. */
export interface StepEnergyMeter {
  readonly method: string;
  start(): { stop(): StepEnergy };
}

/**
 * Power of one busy host core for the CPU-time estimate, watts. UNSOURCED assumption, the one of
 * shared/reference/wave2_anchors.md §6.2 (10–30 W attributable to training on 2 cores, so 5–15 W
 * a busy core); central the midpoint. No measurement of this host's power exists (no RAPL here).
 */
export const HOST_CORE_POWER_W = { central: 10, low: 5, high: 15 } as const;

interface Clock {
  wallS(): number;
  cpuS(): number;
}

/** Wall clock, and the CPU time of this process over all its threads (getrusage: workers too). */
export const PROCESS_CLOCK: Clock = {
  wallS: () => performance.now() / 1000,
  cpuS: () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  },
};

/** Process CPU time × HOST_CORE_POWER_W: what a busy core draws, charged for each CPU-second used. */
export function cpuTimeMeter(
  power: { central: number; low: number; high: number } = HOST_CORE_POWER_W,
  clock: Clock = PROCESS_CLOCK,
): StepEnergyMeter {
  const method = 'cpu-time × host power';
  return {
    method,
    start() {
      const wall0 = clock.wallS();
      const cpu0 = clock.cpuS();
      return {
        stop(): StepEnergy {
          const wallS = clock.wallS() - wall0;
          const cpuS = clock.cpuS() - cpu0;
          return {
            energyJ: cpuS * power.central,
            lowJ: cpuS * power.low,
            highJ: cpuS * power.high,
            provenance: 'estimated',
            method,
            wallS,
            cpuS,
            note: `ESTIMATE: no power sensor readable on this host; process CPU time ${cpuS.toFixed(1)} s × ${power.central} W per busy core (${power.low}–${power.high} W, UNSOURCED assumption of shared/reference/wave2_anchors.md §6.2); idle host power and other processes are not counted`,
          };
        },
      };
    },
  };
}

/** Energy counters (µJ) that wrap at their range, such as RAPL's packages; read by the caller's code. */
export interface EnergyCounters {
  /** Current value of each counter, µJ. */
  readUj(): number[];
  /** Each counter wraps to 0 after this many µJ. */
  rangesUj: readonly number[];
  /** Relative gain error of the counters (RAPL: about 5 %). */
  gainErrorRel: number;
  /** What the counters see, for the note (e.g. `RAPL package-0: the CPU package, not DRAM or the board`). */
  covers: string;
}

/** Adds up counter increments, unwrapping each; poll at least once per wrap period. */
export class CounterAccumulator {
  private last: number[];
  totalUj = 0;

  constructor(private readonly counters: EnergyCounters) {
    this.last = counters.readUj();
  }

  poll(): void {
    const now = this.counters.readUj();
    now.forEach((value, i) => {
      const before = this.last[i] ?? value;
      const range = this.counters.rangesUj[i] ?? 2 ** 32;
      this.totalUj += value >= before ? value - before : value + range - before;
    });
    this.last = now;
  }
}

/**
 * Measured energy from counters, polled every `pollMs` so that a wrap is never missed (RAPL wraps
 * after about 262 kJ, 2.4 h at 30 W; 10 s polls are far inside that). Covers the whole package:
 * other processes on the host are in it, and the note says so.
 */
export function counterMeter(
  counters: EnergyCounters,
  pollMs = 10_000,
  clock: Clock = PROCESS_CLOCK,
): StepEnergyMeter {
  const method = 'rapl';
  return {
    method,
    start() {
      const wall0 = clock.wallS();
      const cpu0 = clock.cpuS();
      const accumulator = new CounterAccumulator(counters);
      const timer = setInterval(() => accumulator.poll(), pollMs);
      timer.unref();
      return {
        stop(): StepEnergy {
          clearInterval(timer);
          accumulator.poll();
          const energyJ = accumulator.totalUj / 1e6;
          return {
            energyJ,
            lowJ: energyJ * (1 - counters.gainErrorRel),
            highJ: energyJ * (1 + counters.gainErrorRel),
            provenance: 'measured',
            method,
            wallS: clock.wallS() - wall0,
            cpuS: clock.cpuS() - cpu0,
            note: `measured: ${counters.covers}; everything the package ran during the step is in it, other processes included; ±${Math.round(counters.gainErrorRel * 100)} % gain error`,
          };
        },
      };
    },
  };
}

/** Adds two steps' energies (a pruned child's training = its parent's training + the parent's pruning). */
export function addStepEnergy(a: StepEnergy, b: StepEnergy | undefined): StepEnergy {
  if (b === undefined) return a;
  return {
    energyJ: a.energyJ + b.energyJ,
    lowJ: a.lowJ + b.lowJ,
    highJ: a.highJ + b.highJ,
    provenance: a.provenance === 'measured' && b.provenance === 'measured' ? 'measured' : 'estimated',
    method: a.method === b.method ? a.method : `${a.method} + ${b.method}`,
    wallS: a.wallS + b.wallS,
    cpuS: a.cpuS + b.cpuS,
    note: `training (${a.note}) + pruning (${b.note})`,
  };
}

/**
 * The training energy a pruned child carries: its parent's training plus the parent's own pruning,
 * marked as copied from the parent. Undefined when the parent's manifest has none (made before
 * edgewatt measured it).
 */
export function inheritedTraining(
  parentId: string,
  parent: { trainingEnergy?: StepEnergy | undefined; pruningEnergy?: StepEnergy | undefined } | null,
): StepEnergy | undefined {
  if (parent?.trainingEnergy === undefined) return undefined;
  const { fromParent: _, ...training } = addStepEnergy(parent.trainingEnergy, parent.pruningEnergy);
  return { ...training, fromParent: parentId };
}
