// An experiment's records analysed from a real SQLite file, as `edgewatt experiment analyse` reads
// them: inference and offload records written per board in fleet `lab`, feedback (labels and the
// device's verdicts) written after them, then analyseStore with the same store as offload source
// and feedback reader. The tests that price arms on known truth share this set-up.

import { join } from 'node:path';
import type { StoredOffload } from '../../collector/experiments/aggregate.js';
import { type AnalysisInput, analyseStore } from '../../collector/experiments/analyse.js';
import type { AnalysisResult } from '../../collector/experiments/analysis-result.js';
import type { StoredRecord } from '../../collector/store/index.js';
import { SqliteStore } from '../../collector/store/sqlite.js';

/** Feedback for one record: the label, and the verdict the device would send with it. */
export interface Verdict {
  device: string;
  seq: number;
  /** The record's start; the feedback is given 1 µs after it. */
  startUs: number;
  label: number;
  correct: boolean;
}

export interface SqliteFleet {
  records: readonly StoredRecord[];
  offloads: readonly StoredOffload[];
  feedback?: readonly Verdict[];
}

/** Writes the fleet to a new SQLite file `<dir>/<name>.sqlite` and analyses it as `input` says. */
export async function analyseOnSqlite(
  dir: string,
  name: string,
  input: AnalysisInput,
  fleet: SqliteFleet,
): Promise<AnalysisResult> {
  const store = new SqliteStore(join(dir, `${name}.sqlite`));
  await store.connect();
  try {
    for (const device of input.devices) {
      await store.writeBatch(
        'lab',
        device,
        fleet.records.filter((r) => r.device === device),
      );
      await store.writeOffload(
        'lab',
        device,
        fleet.offloads.filter((r) => r.device === device),
      );
    }
    for (const v of fleet.feedback ?? [])
      await store.writeFeedback('lab', {
        v: 1,
        type: 'feedback',
        device: v.device,
        seq: v.seq,
        label: v.label,
        correct: v.correct,
        atUs: v.startUs + 1,
      });
    return await analyseStore(store, input, store);
  } finally {
    await store.close();
  }
}
