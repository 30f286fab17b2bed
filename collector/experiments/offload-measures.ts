// The measured offload values of each offload arm — the device's energy while offloading, the
// socket bytes, the round trip, the server's energy per request with its provenance, accuracy
// from the feedback joined to the records — from the offload records the analysis counts (their
// arm's periods, warm-up and washout excluded), with compare's own accumulator
// (lifecycle/measured-offload.ts), so that an arm's carbon takes them as compare does. When an
// arm's records cannot be taken as measured values, it says why: its carbon then stands on the
// scenario's offload terms, and the report must say which and why.

import { EdgewattError } from '../../common/errors.js';
import { OffloadAccumulator, type OffloadMeasurement } from '../lifecycle/measured-offload.js';
import type { ExperimentAggregator, StoredOffload } from './aggregate.js';
import { offloadObservation } from './aggregate.js';

/** An arm's measured offload values, or why there are none (then the scenario's offload terms). */
export type ArmOffload =
  | { measurement: OffloadMeasurement; unmeasured: null }
  | { measurement: null; unmeasured: string };

interface ArmRecords {
  accumulator: OffloadAccumulator;
  devices: Set<string>;
  records: number;
  /** Outcome ok (the accumulator averages those of them that carry the server's energy). */
  answered: number;
  outcomes: Map<string, number>;
}

const counts = (m: Map<string, number>): string =>
  [...m]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

export class ArmOffloadMeasures {
  private readonly arms = new Map<string, ArmRecords>();

  /** Takes the record when the analysis counts it (its arm's period, past warm-up and washout). */
  add(aggregator: ExperimentAggregator, record: StoredOffload): void {
    if (record.arm === undefined || !aggregator.analyses(offloadObservation(record))) return;
    let arm = this.arms.get(record.arm);
    if (arm === undefined) {
      arm = {
        accumulator: new OffloadAccumulator(),
        devices: new Set(),
        records: 0,
        answered: 0,
        outcomes: new Map(),
      };
      this.arms.set(record.arm, arm);
    }
    arm.accumulator.add(record);
    arm.devices.add(record.device);
    arm.records++;
    arm.outcomes.set(record.outcome, (arm.outcomes.get(record.outcome) ?? 0) + 1);
    if (record.outcome === 'ok') arm.answered++;
  }

  /**
   * The arm's measured offload values, or why none: no analysed offload record, none answered,
   * none answered with the server's energy per request, or records that cannot be averaged (two
   * models, sensors seeing different parts of the board; also a warning).
   */
  of(arm: string, warnings: string[]): ArmOffload {
    const measures = this.arms.get(arm);
    if (measures === undefined)
      return {
        measurement: null,
        unmeasured:
          'no offload record of the arm was analysed (none in its periods past warm-up and washout)',
      };
    try {
      const measurement = measures.accumulator.result(`arm ${arm}`, [...measures.devices].sort().join(', '));
      if (measurement !== null) return { measurement, unmeasured: null };
      return {
        measurement: null,
        unmeasured:
          measures.answered === 0
            ? `none of its ${measures.records} analysed offload requests was answered (${counts(measures.outcomes)})`
            : `none of its ${measures.answered} answered offload records carries the server's energy per request (serverEnergyJ), so no answered request's cost was measured`,
      };
    } catch (error) {
      if (!(error instanceof EdgewattError)) throw error;
      warnings.push(
        `arm ${arm}: its offload records cannot be taken as measured offload values (${error.message}); its carbon uses the scenario's offload terms`,
      );
      return {
        measurement: null,
        unmeasured: `its offload records cannot be taken as measured values (${error.message})`,
      };
    }
  }
}
