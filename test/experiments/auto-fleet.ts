// A small fleet with an auto arm and known truth, for the auto arm's carbon tests and the report:
// four boards; arm `x` (model B) offloads the inputs `offloaded(i)` picks — edge inferences cost
// 10 mJ on the board, offloaded ones 4 mJ on the board over a 50 ms round trip and 2 mJ on a
// RAPL-measured server in DE — next to an edge arm `base`; its analysis from a real SQLite file
// with feedback, and a measured share for the auto arm's pricing alone.

import type { StoredOffload } from '../../collector/experiments/aggregate.js';
import { type AnalysisInput, analyseRecords, scheduleOf } from '../../collector/experiments/analyse.js';
import type { AnalysisResult } from '../../collector/experiments/analysis-result.js';
import type { MeasuredShare } from '../../collector/experiments/arm-measured.js';
import { parseExperiment } from '../../collector/experiments/experiment-file.js';
import type { StoredRecord } from '../../collector/store/index.js';
import {
  MODEL_A as A,
  MODEL_B as B,
  storedEdgeRecord,
  storedOffloadOk,
  T0,
} from '../support/experiment-records.js';
import { analyseOnSqlite, type Verdict } from './sqlite-fleet.js';

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
  ...storedEdgeRecord({
    experiment: 'auto-c',
    device,
    seq,
    atMs,
    arm,
    modelId: arm === 'x' ? B : A,
    energyJ: 0.01 * factor(device) * (1 + 0.01 * (seq % 5)),
  }),
  durationUs: 3000 + (seq % 7) * 100,
});

const offloadRecord = (device: string, seq: number, atMs: number): StoredOffload =>
  storedOffloadOk({
    experiment: 'auto-c',
    device,
    seq,
    atMs,
    arm: 'x',
    policy: 'auto-comparison',
    deviceEnergyJ: 0.004 * factor(device),
    deviceEnergyUncertaintyJ: 0.0001,
    serverEnergyJ: 0.002 * factor(device),
    serverEnergyUncertaintyJ: 0.0005,
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

/** Arm x's edge answers: 9 in 10 right. */
const edgeRight = (seq: number) => seq % 10 !== 0;
/** The server's answers (prediction 3): 3 in 4 right, the label of the others is 5. */
const serverLabel = (seq: number) => (seq % 4 === 0 ? 5 : 3);

/**
 * Writes the records to a new SQLite file `<dir>/<name>.sqlite` with feedback (9 in 10 of arm x's
 * edge answers right, 3 in 4 of the server's) and analyses them as `input` says.
 */
export function analyseAutoFleet(
  dir: string,
  name: string,
  input: AnalysisInput,
  records: StoredRecord[],
  offloads: StoredOffload[],
): Promise<AnalysisResult> {
  const feedback: Verdict[] = [
    ...records
      .filter((r) => r.arm === 'x')
      .map((r) => ({
        device: r.device,
        seq: r.seq,
        startUs: r.startUs,
        label: 1,
        correct: edgeRight(r.seq),
      })),
    ...offloads.map((r) => ({
      device: r.device,
      seq: r.seq,
      startUs: r.startUs,
      label: serverLabel(r.seq),
      correct: serverLabel(r.seq) === 3,
    })),
  ];
  return analyseOnSqlite(dir, name, input, { records, offloads, feedback });
}

/** A share of an arm as measured: energy per inference ± 10 %, 4 boards, 50 ms p95, 80 % right. */
export const measuredShare = (energyJ: number, n: number): MeasuredShare => ({
  n,
  boards: 4,
  energyJ: { mean: energyJ, lo: energyJ * 0.9, hi: energyJ * 1.1 },
  aboveIdleJ: { mean: energyJ / 2, lo: energyJ * 0.45, hi: energyJ * 0.55 },
  latencyP95Ms: 50,
  meanLatencyS: 0.04,
  accuracy: 0.8,
});

/**
 * A real analysis (in memory) of the fleet with one input in three offloaded, 9 in 10 edge
 * answers and 3 in 4 of the server's right (4 in 5 of arm base's): what the report meets for an auto arm.
 */
export function autoArmAnalysis(): AnalysisResult {
  const f = fleet((i) => i % 3 === 0);
  const records = [...f.base, ...f.autoEdge].map((r) =>
    r.arm === 'x' ? { ...r, correct: edgeRight(r.seq) } : r,
  );
  const offloads = f.autoOffload.map((r) => ({ ...r, correct: serverLabel(r.seq) === 3 }));
  return analyseRecords(
    { ...inputWith('auto', true), now: () => new Date(T0 + 3_600_000) },
    records,
    offloads,
  );
}
