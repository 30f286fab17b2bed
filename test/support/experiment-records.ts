// Stored records for the experiment-analysis tests: an edge inference and an offload (its common
// part, and the answered kind) of a Pi with an INA219 offloading to a RAPL-measured server in DE,
// and the two-arm experiment they run under. Every figure a test states as its known truth (the
// energies, their uncertainties) is passed in by the test; the rest is fixed here.

import type { StoredOffload } from '../../collector/experiments/aggregate.js';
import type { AnalysisInput } from '../../collector/experiments/analyse.js';
import { type Experiment, parseExperiment } from '../../collector/experiments/experiment-file.js';
import type { StoredRecord } from '../../collector/store/index.js';

/** The first arm's model and the second arm's. */
export const MODEL_A = 'a'.repeat(64);
export const MODEL_B = 'b'.repeat(64);
export const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);

/**
 * Fleet `lab`: an edge arm on MODEL_A and a second arm on MODEL_B with `placement` (offload or auto)
 * through a server; two periods of 600 s, 60 s washout, seed 4.
 */
export function twoArmExperiment(
  id: string,
  devices: readonly string[],
  second: 'offload' | 'auto',
): Experiment {
  return parseExperiment(`
id: ${id}
fleet: lab
devices: [${devices.join(', ')}]
arms:
  - { id: edge, model: ${MODEL_A} }
  - { id: ${second}, model: ${MODEL_B}, placement: ${second}, server: "https://serve.lan:8790" }
periodS: 600
periods: 2
washoutS: 60
warmupS: 30
seed: 4
`);
}

/** The analysis of `experiment` over `devices` from T0, still running. */
export function analysisInputOf(
  experiment: Experiment,
  devices: readonly string[],
  samples: { replicates: number; carbonSamples: number },
): AnalysisInput {
  return { experiment, devices: [...devices], startedAtMs: T0, endedAtMs: null, ...samples };
}

/** Which record: its experiment, device, seq and time. */
export interface RecordAt {
  experiment: string;
  device: string;
  seq: number;
  atMs: number;
}

/** An edge inference of `arm` (default `edge`, its variant too) on `modelId` (default MODEL_A). */
export function storedEdgeRecord(
  at: RecordAt & { energyJ: number; arm?: string; modelId?: string },
): StoredRecord {
  const arm = at.arm ?? 'edge';
  return {
    fleet: 'lab',
    device: at.device,
    seq: at.seq,
    startUs: at.atMs * 1000,
    durationUs: 3000,
    energyJ: at.energyJ,
    energyUncertaintyJ: 0.0002,
    baselineW: 0.6,
    sampleCount: 10,
    provenance: 'measured',
    sensor: 'ina219',
    modelId: at.modelId ?? MODEL_A,
    variant: arm,
    backend: 'cpu',
    batchSize: 1,
    inputBytes: 3136,
    outputBytes: 40,
    correct: null,
    experiment: at.experiment,
    arm,
    placement: 'edge',
  };
}

/** What every offload record of `arm` (its variant too) on MODEL_B says, answered or not. */
export function offloadCommon(
  at: RecordAt & { arm: string; policy: StoredOffload['policy']; deviceEnergyUncertaintyJ: number },
) {
  return {
    fleet: 'lab',
    device: at.device,
    seq: at.seq,
    startUs: at.atMs * 1000,
    modelId: MODEL_B,
    variant: at.arm,
    experiment: at.experiment,
    arm: at.arm,
    deviceEnergyUncertaintyJ: at.deviceEnergyUncertaintyJ,
    deviceBaselineW: 0.6,
    energyProvenance: 'measured',
    sensor: 'ina219',
    requestBytes: 3136,
    socketBytesSent: 3400,
    policy: at.policy,
  } as const;
}

/** An offload the server answered (prediction 3) in a 50 ms round trip. */
export function storedOffloadOk(
  at: RecordAt & {
    arm: string;
    policy: StoredOffload['policy'];
    deviceEnergyJ: number;
    deviceEnergyUncertaintyJ: number;
    serverEnergyJ: number;
    serverEnergyUncertaintyJ: number;
  },
): StoredOffload {
  return {
    ...offloadCommon(at),
    roundTripS: 0.05,
    deviceEnergyJ: at.deviceEnergyJ,
    responseBytes: 412,
    socketBytesReceived: 600,
    outcome: 'ok',
    httpStatus: 200,
    fallback: 'none',
    prediction: 3,
    serverId: 'dc-1',
    serverRegion: 'DE',
    serverPueClass: 'hyperscale',
    serverEnergyJ: at.serverEnergyJ,
    serverEnergyUncertaintyJ: at.serverEnergyUncertaintyJ,
    serverIdleShareJ: 0.001,
    serverEnergyProvenance: 'rapl',
    serverBatchSize: 2,
    serverLatencyS: 0.01,
  };
}
