// A small fleet with an auto arm and known truth, for the auto arm's carbon tests and the report:
// four boards; arm `x` (model B) offloads the inputs `offloaded(i)` picks — edge inferences cost
// 10 mJ on the board, offloaded ones 4 mJ on the board over a 50 ms round trip and 2 mJ on a
// RAPL-measured server in DE — next to an edge arm `base`.

import type { StoredOffload } from '../../collector/experiments/aggregate.js';
import { type AnalysisInput, analyseRecords, scheduleOf } from '../../collector/experiments/analyse.js';
import type { AnalysisResult } from '../../collector/experiments/analysis-result.js';
import { parseExperiment } from '../../collector/experiments/experiment-file.js';
import type { StoredRecord } from '../../collector/store/index.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
export const DEVICES = ['pi-1', 'pi-2', 'pi-3', 'pi-4'];
export const SAMPLES = 400;
const factor = (device: string) => 1 + 0.04 * (Number(device.slice(3)) - 1);

/** The experiment with arm `x` of the given placement (same id, seed, schedule whatever it is). */
export function inputWith(placement: 'auto' | 'edge' | 'offload', withEdgeArmOfB = false): AnalysisInput {
  return {
    experiment: parseExperiment(`
id: auto-c
fleet: lab
devices: [${DEVICES.join(', ')}]
arms:
  - { id: base, model: ${withEdgeArmOfB ? B : A} }
  - { id: x, model: ${B}, placement: ${placement}, server: "https://serve.lan:8790" }
periodS: 600
periods: 2
washoutS: 60
warmupS: 30
seed: 4
`),
    devices: DEVICES,
    startedAtMs: T0,
    endedAtMs: null,
    replicates: 200,
    carbonSamples: SAMPLES,
  };
}

const edgeRecord = (device: string, seq: number, atMs: number, arm: string): StoredRecord => ({
  fleet: 'lab',
  device,
  seq,
  startUs: atMs * 1000,
  durationUs: 3000 + (seq % 7) * 100,
  energyJ: 0.01 * factor(device) * (1 + 0.01 * (seq % 5)),
  energyUncertaintyJ: 0.0002,
  baselineW: 0.6,
  sampleCount: 10,
  provenance: 'measured',
  sensor: 'ina219',
  modelId: arm === 'x' ? B : A,
  variant: arm,
  backend: 'cpu',
  batchSize: 1,
  inputBytes: 3136,
  outputBytes: 40,
  correct: null,
  experiment: 'auto-c',
  arm,
  placement: 'edge',
});

const offloadRecord = (device: string, seq: number, atMs: number): StoredOffload => ({
  fleet: 'lab',
  device,
  seq,
  startUs: atMs * 1000,
  modelId: B,
  variant: 'x',
  experiment: 'auto-c',
  arm: 'x',
  deviceEnergyJ: 0.004 * factor(device),
  deviceEnergyUncertaintyJ: 0.0001,
  deviceBaselineW: 0.6,
  energyProvenance: 'measured',
  sensor: 'ina219',
  requestBytes: 3136,
  socketBytesSent: 3400,
  roundTripS: 0.05,
  responseBytes: 412,
  socketBytesReceived: 600,
  outcome: 'ok',
  httpStatus: 200,
  fallback: 'none',
  policy: 'auto-comparison',
  prediction: 3,
  serverId: 'dc-1',
  serverRegion: 'DE',
  serverPueClass: 'hyperscale',
  serverEnergyJ: 0.002 * factor(device),
  serverEnergyUncertaintyJ: 0.0005,
  serverIdleShareJ: 0.001,
  serverEnergyProvenance: 'rapl',
  serverBatchSize: 2,
  serverLatencyS: 0.01,
});

export interface Fleet {
  base: StoredRecord[];
  autoEdge: StoredRecord[];
  autoOffload: StoredOffload[];
}

/** Records every 10 s after each washout; arm x offloads when `offloaded(i)` says so. */
export function fleet(offloaded: (i: number) => boolean): Fleet {
  const out: Fleet = { base: [], autoEdge: [], autoOffload: [] };
  let seq = 0;
  for (const period of scheduleOf(inputWith('auto'))) {
    let i = 0;
    for (let at = period.washoutEndMs; at < period.endMs; at += 10_000, i++) {
      if (period.arm === 'base') out.base.push(edgeRecord(period.device, seq++, at, 'base'));
      else if (offloaded(i)) out.autoOffload.push(offloadRecord(period.device, seq++, at));
      else out.autoEdge.push(edgeRecord(period.device, seq++, at, 'x'));
    }
  }
  return out;
}

/**
 * A real analysis (in memory) of the fleet with one input in three offloaded, 9 in 10 edge
 * answers and 3 in 4 of the server's right (4 in 5 of arm base's): what the report meets for an auto arm.
 */
export function autoArmAnalysis(): AnalysisResult {
  const f = fleet((i) => i % 3 === 0);
  const records = [...f.base, ...f.autoEdge].map((r) =>
    r.arm === 'x' ? { ...r, correct: r.seq % 10 !== 0 } : r,
  );
  const offloads = f.autoOffload.map((r) => ({ ...r, correct: r.seq % 4 !== 0 }));
  return analyseRecords(
    { ...inputWith('auto', true), now: () => new Date(T0 + 3_600_000) },
    records,
    offloads,
  );
}
