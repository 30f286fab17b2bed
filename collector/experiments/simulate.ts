// A seeded simulated fleet with known truth, for the honesty tests (coverage, A/A, the warm-up trap),
// the power check, and the report's fixtures: boards with a true energy per inference per arm,
// board-to-board spread, a board × arm interaction, period-to-period and record noise, warm-up
// spikes after each switch, a washout that still carries the previous arm, and a pre-experiment
// period. It produces stored-record-like rows (StoredRecord) exactly as the store returns them, and
// for an auto arm the offload records (StoredOffload) of the inputs it offloaded.

import { createHash } from 'node:crypto';
import { hashString, Xoshiro128 } from '../lifecycle/random.js';
import type { StoredRecord } from '../store/index.js';
import type { StoredOffload } from './aggregate.js';
import { analyseRecords } from './analyse.js';
import type { AnalysisResult } from './analysis-result.js';
import type { Experiment } from './experiment-file.js';
import { buildSchedule, type Period } from './schedule.js';

export interface SimulatedArm {
  id: string;
  /** True mean energy per inference on a median board after warm-up, J. */
  energyJ: number;
  /** Energy multiplier during the warm-up after a switch (1 = none). */
  warmupFactor?: number;
  latencyMs?: number;
  /** Probability an answer is correct; absent: records carry no ground truth. */
  accuracy?: number;
  placement?: 'edge' | 'offload' | 'auto';
  /** An auto arm's offloaded inputs: the rest run on the board at `energyJ`. */
  offload?: SimulatedOffload;
}

/** What an auto arm's offloaded requests truly cost, on a median board. */
export interface SimulatedOffload {
  /** Share of the arm's inputs offloaded (each input on its own draw). */
  share: number;
  /** The board's energy over the request window (radio and waiting), J. */
  deviceEnergyJ: number;
  /** The server's energy per request, J (labelled an estimate, as the simulated boards' energy). */
  serverEnergyJ: number;
  roundTripMs: number;
  /** Probability the server's answer is right; absent: the arm's accuracy. */
  accuracy?: number;
}

export interface FleetSpec {
  experimentId: string;
  fleet: string;
  boards: number;
  arms: SimulatedArm[];
  design?: 'crossover' | 'parallel';
  periods: number;
  periodS: number;
  washoutS: number;
  warmupS: number;
  /** Seconds of pre-experiment records (no experiment tag, first arm's model); 0 = none. */
  preS?: number;
  /** Inferences per second per board. */
  ratePerS: number;
  /** Relative SD of board means (lognormal). */
  boardSdRel: number;
  /**
   * Relative SD across boards of the difference between two arms (boards respond differently):
   * each arm gets its own per-board factor with SD interactionSdRel/√2.
   */
  interactionSdRel: number;
  /** Relative SD of a board's period mean around its own mean. */
  periodSdRel: number;
  /** Relative SD of single records. */
  recordSdRel: number;
  seed: number;
  startMs?: number;
}

export interface SimulatedFleet {
  spec: FleetSpec;
  devices: string[];
  schedule: Period[];
  startMs: number;
  records: StoredRecord[];
  /** Offload records of auto arms' offloaded inputs (none without an auto arm). */
  offloads: StoredOffload[];
  /** The true relative difference of each arm against the first, on the fleet's mean board. */
  trueRelDiff: Record<string, number>;
}

/** A 64-hex model id derived from the arm id (the simulated registry). */
export function simulatedModelId(arm: string): string {
  return createHash('sha256').update(`simulated-model:${arm}`).digest('hex');
}

function normal(random: Xoshiro128): number {
  // Box–Muller; the second value is dropped (simplicity over speed here).
  return Math.sqrt(-2 * Math.log(random.next())) * Math.cos(2 * Math.PI * random.next());
}

/** An Experiment object matching the fleet, as if read from an experiment file. */
export function experimentOf(spec: FleetSpec, devices: readonly string[]): Experiment {
  return {
    id: spec.experimentId,
    fleet: spec.fleet,
    devices: [...devices],
    arms: spec.arms.map((arm) => ({
      id: arm.id,
      model: simulatedModelId(arm.id),
      variant: arm.id,
      placement: arm.placement ?? 'edge',
    })),
    design: spec.design ?? 'crossover',
    periodS: spec.periodS,
    periods: spec.periods,
    washoutS: spec.washoutS,
    warmupS: spec.warmupS,
    preS: spec.preS ?? 0,
    input: { source: 'application' },
    seed: spec.seed,
    guardrails: {},
    power: { targetEffect: 0.05, alpha: 0.05, power: 0.8, interactionSdRel: spec.interactionSdRel },
    probationS: 0,
  };
}

export function simulateFleet(spec: FleetSpec): SimulatedFleet {
  const startMs = spec.startMs ?? Date.UTC(2026, 10, 28, 9, 0, 0);
  const devices = Array.from({ length: spec.boards }, (_, i) => `sim-${String(i + 1).padStart(2, '0')}`);
  const schedule = buildSchedule(
    {
      design: spec.design ?? 'crossover',
      arms: spec.arms.map((a) => a.id),
      periods: spec.periods,
      periodS: spec.periodS,
      washoutS: spec.washoutS,
      warmupS: spec.warmupS,
      seed: spec.seed,
    },
    devices,
    startMs,
  );
  // Stream 1 for the fleet's truth, one stream per device for its records: reproducible per seed.
  const truth = new Xoshiro128(spec.seed, hashString('truth'));
  const armById = new Map(spec.arms.map((arm) => [arm.id, arm]));
  const modelIds = new Map(spec.arms.map((arm) => [arm.id, simulatedModelId(arm.id)]));
  const records: StoredRecord[] = [];
  const offloads: StoredOffload[] = [];
  const stepMs = 1000 / spec.ratePerS;
  devices.forEach((device) => {
    const boardFactor = Math.exp(spec.boardSdRel * normal(truth));
    const interaction = new Map(
      spec.arms.map((arm) => [arm.id, 1 + (spec.interactionSdRel / Math.SQRT2) * normal(truth)]),
    );
    const random = new Xoshiro128(spec.seed, hashString(`records:${device}`));
    let seq = 0;
    const emit = (arm: SimulatedArm, atMs: number, levelJ: number, tagged: boolean): void => {
      // Only an auto arm draws whether to offload: fleets without one keep their exact records.
      if (tagged && arm.offload !== undefined && random.next() < arm.offload.share) {
        offloads.push(offloadRecord(spec, arm, arm.offload, device, seq++, atMs, boardFactor, random));
        return;
      }
      const energyJ = Math.max(1e-6, levelJ * (1 + spec.recordSdRel * normal(random)));
      const latencyMs = (arm.latencyMs ?? 40) * boardFactor * (1 + 0.05 * normal(random));
      const record: StoredRecord = {
        fleet: spec.fleet,
        device,
        seq: seq++,
        startUs: Math.round(atMs * 1000),
        durationUs: Math.max(1, Math.round(latencyMs * 1000)),
        energyJ: Math.round(energyJ * 1e9) / 1e9,
        energyUncertaintyJ: Math.round(energyJ * 0.02 * 1e9) / 1e9,
        // Idle draw such that about half of an inference's energy is above idle (a Pi-like ratio).
        baselineW: Math.round(0.6 * boardFactor * 1e6) / 1e6,
        sampleCount: 10,
        provenance: 'estimated',
        sensor: 'simulated:rpi4',
        modelId: modelIds.get(arm.id) as string,
        variant: arm.id,
        backend: 'cpu',
        batchSize: 1,
        inputBytes: 3136,
        outputBytes: 40,
        correct: arm.accuracy === undefined ? null : random.next() < arm.accuracy,
        ...(tagged
          ? {
              experiment: spec.experimentId,
              arm: arm.id,
              placement: arm.placement === 'offload' ? 'offload' : 'edge',
            }
          : {}),
      };
      records.push(record);
    };
    const first = spec.arms[0] as SimulatedArm;
    const preS = spec.preS ?? 0;
    if (preS > 0) {
      // The pre-period runs the first arm's model (the one in production), untagged.
      const level =
        first.energyJ *
        boardFactor *
        (interaction.get(first.id) ?? 1) *
        (1 + spec.periodSdRel * normal(random));
      for (let t = startMs - preS * 1000; t < startMs; t += stepMs) emit(first, t, level, false);
    }
    for (const period of schedule.filter((p) => p.device === device)) {
      const arm = armById.get(period.arm) as SimulatedArm;
      const level =
        arm.energyJ * boardFactor * (interaction.get(arm.id) ?? 1) * (1 + spec.periodSdRel * normal(random));
      const previous = period.previousArm === null ? undefined : armById.get(period.previousArm);
      const previousLevel =
        previous === undefined ? level : previous.energyJ * boardFactor * (interaction.get(previous.id) ?? 1);
      for (let t = period.startMs + random.next() * stepMs; t < period.endMs; t += stepMs) {
        let energy = level;
        if (t < period.washoutEndMs) {
          // Carry-over: the board still draws like the previous arm, fading out over the washout.
          const share = (period.washoutEndMs - t) / (period.washoutEndMs - period.startMs);
          energy = share * previousLevel + (1 - share) * level;
        }
        if (t < period.warmupEndMs) energy *= arm.warmupFactor ?? 1;
        emit(arm, t, energy, true);
      }
    }
  });
  const base = spec.arms[0] as SimulatedArm;
  const trueRelDiff: Record<string, number> = {};
  for (const arm of spec.arms) trueRelDiff[arm.id] = trueEnergyJ(arm) / trueEnergyJ(base) - 1;
  return { spec, devices, schedule, startMs, records, offloads, trueRelDiff };
}

/** An arm's true energy per inference on a median board: an auto arm's is the mixture of its two placements. */
export function trueEnergyJ(arm: SimulatedArm): number {
  const o = arm.offload;
  return o === undefined
    ? arm.energyJ
    : (1 - o.share) * arm.energyJ + o.share * (o.deviceEnergyJ + o.serverEnergyJ);
}

/** An answered offload of an auto arm's input to a simulated server in DE (hyperscale PUE). */
function offloadRecord(
  spec: FleetSpec,
  arm: SimulatedArm,
  o: SimulatedOffload,
  device: string,
  seq: number,
  atMs: number,
  boardFactor: number,
  random: Xoshiro128,
): StoredOffload {
  const deviceEnergyJ = Math.max(
    1e-6,
    o.deviceEnergyJ * boardFactor * (1 + spec.recordSdRel * normal(random)),
  );
  const serverEnergyJ = Math.max(1e-6, o.serverEnergyJ * (1 + spec.recordSdRel * normal(random)));
  const accuracy = o.accuracy ?? arm.accuracy;
  return {
    fleet: spec.fleet,
    device,
    seq,
    startUs: Math.round(atMs * 1000),
    modelId: simulatedModelId(arm.id),
    variant: arm.id,
    experiment: spec.experimentId,
    arm: arm.id,
    roundTripS: Math.round(o.roundTripMs * (1 + 0.05 * normal(random))) / 1000,
    deviceEnergyJ: Math.round(deviceEnergyJ * 1e9) / 1e9,
    deviceEnergyUncertaintyJ: Math.round(deviceEnergyJ * 0.02 * 1e9) / 1e9,
    deviceBaselineW: Math.round(0.6 * boardFactor * 1e6) / 1e6,
    energyProvenance: 'estimated',
    sensor: 'simulated:rpi4',
    requestBytes: 3136,
    responseBytes: 412,
    socketBytesSent: 3400,
    socketBytesReceived: 600,
    outcome: 'ok',
    httpStatus: 200,
    fallback: 'none',
    policy: 'auto-comparison',
    prediction: 0,
    serverId: 'sim-server',
    serverRegion: 'DE',
    serverPueClass: 'hyperscale',
    serverEnergyJ: Math.round(serverEnergyJ * 1e9) / 1e9,
    serverEnergyUncertaintyJ: Math.round(serverEnergyJ * 0.1 * 1e9) / 1e9,
    serverIdleShareJ: 0,
    serverEnergyProvenance: 'estimated',
    serverBatchSize: 1,
    serverLatencyS: 0.005,
    correct: accuracy === undefined ? null : random.next() < accuracy,
  };
}

/** A fleet like the lab's: 10 boards, two arms, B truly 7 % cheaper, four periods of 10 min. */
export function defaultFleetSpec(overrides: Partial<FleetSpec> = {}): FleetSpec {
  return {
    experimentId: 'sim-prune',
    fleet: 'lab',
    boards: 10,
    arms: [
      { id: 'dense', energyJ: 0.05, latencyMs: 42, accuracy: 0.91 },
      { id: 'pruned', energyJ: 0.0465, latencyMs: 35, accuracy: 0.89 },
    ],
    periods: 4,
    periodS: 600,
    washoutS: 60,
    warmupS: 30,
    preS: 600,
    ratePerS: 0.5,
    boardSdRel: 0.15,
    interactionSdRel: 0.03,
    periodSdRel: 0.03,
    recordSdRel: 0.1,
    seed: 1,
    ...overrides,
  };
}

/** A simulated fleet run through the real analysis: the records and the AnalysisResult they give. */
export function simulateAnalysis(
  spec: FleetSpec = defaultFleetSpec(),
  options: { replicates?: number } = {},
): { fleet: SimulatedFleet; result: AnalysisResult } {
  const fleet = simulateFleet(spec);
  const result = analyseRecords(
    {
      experiment: experimentOf(spec, fleet.devices),
      devices: fleet.devices,
      startedAtMs: fleet.startMs,
      endedAtMs: fleet.startMs + spec.periods * spec.periodS * 1000,
      replicates: options.replicates ?? 2000,
      now: () => new Date(fleet.startMs + spec.periods * spec.periodS * 1000),
    },
    fleet.records,
    fleet.offloads,
  );
  return { fleet, result };
}
