// The measured offload values of each offload arm — the device's energy while offloading, the
// socket bytes, the round trip, the server's energy per request with its provenance, accuracy
// from the feedback joined to the records — from the offload records the analysis counts (their
// arm's periods, warm-up and washout excluded), with compare's own accumulator
// (lifecycle/measured-offload.ts), so that an arm's carbon takes them as compare does.

import { EdgewattError } from '../../common/errors.js';
import { OffloadAccumulator, type OffloadMeasurement } from '../lifecycle/measured-offload.js';
import type { ExperimentAggregator, StoredOffload } from './aggregate.js';
import { offloadObservation } from './aggregate.js';

export class ArmOffloadMeasures {
  private readonly arms = new Map<string, { accumulator: OffloadAccumulator; devices: Set<string> }>();

  /** Takes the record when the analysis counts it (its arm's period, past warm-up and washout). */
  add(aggregator: ExperimentAggregator, record: StoredOffload): void {
    if (record.arm === undefined || !aggregator.analyses(offloadObservation(record))) return;
    let arm = this.arms.get(record.arm);
    if (arm === undefined) {
      arm = { accumulator: new OffloadAccumulator(), devices: new Set() };
      this.arms.set(record.arm, arm);
    }
    arm.accumulator.add(record);
    arm.devices.add(record.device);
  }

  /**
   * The arm's measured offload values; null when none of its requests was answered. Records that
   * cannot be averaged (two models, sensors seeing different parts of the board) give null and
   * a warning: the arm's carbon then keeps the scenario's offload terms.
   */
  of(arm: string, warnings: string[]): OffloadMeasurement | null {
    const measures = this.arms.get(arm);
    if (measures === undefined) return null;
    try {
      return measures.accumulator.result(`arm ${arm}`, [...measures.devices].sort().join(', '));
    } catch (error) {
      if (!(error instanceof EdgewattError)) throw error;
      warnings.push(
        `arm ${arm}: its offload records cannot be taken as measured offload values (${error.message}); its carbon uses the scenario's offload terms`,
      );
      return null;
    }
  }
}
