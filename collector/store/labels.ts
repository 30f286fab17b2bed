// Records with their labels: the join of `feedback` (ground truth given after the answer) to the
// records it is for, by (fleet, device, seq), on any store that reads records. What field accuracy
// and energy per *correct* inference are computed from (export, experiment analyses).

import type { RecordFilter } from './filter.js';
import type { RecordReader, StoredRecord } from './store.js';

export interface LabelledRecord extends StoredRecord {
  /** The true class given as feedback, or null when none was (a dataset's label is in `correct` only). */
  label: number | null;
}

/**
 * Every record of the filter, in the reader's order, with its feedback joined: `label` set and
 * `correct` taken from the feedback when there is one (the record's own `correct`, known when a
 * labelled dataset fed it, stays otherwise). Feedback is read one device at a time, so memory is
 * bounded by one device's labels, not the fleet's.
 */
export async function* readLabelledRecords(
  reader: RecordReader,
  filter: RecordFilter = {},
): AsyncIterable<LabelledRecord> {
  let device: string | undefined;
  let labels = new Map<number, { label: number; correct: boolean }>();
  for await (const record of reader.readRecords(filter)) {
    const key = `${record.fleet}\u0000${record.device}`;
    if (key !== device) {
      device = key;
      labels = new Map();
      for await (const f of reader.readFeedback({ fleet: record.fleet, device: record.device })) {
        labels.set(f.seq, { label: f.label, correct: f.correct });
      }
    }
    const feedback = labels.get(record.seq);
    yield feedback === undefined
      ? { ...record, label: null }
      : { ...record, label: feedback.label, correct: feedback.correct };
  }
}

/** Field accuracy and energy per correct inference of one device × model variant. */
export interface AccuracySummary {
  fleet: string;
  device: string;
  modelId: string;
  variant: string;
  inferences: number;
  /** Records whose correctness is known (a labelled dataset, or feedback). */
  judged: number;
  correct: number;
  /** correct ÷ judged, or null when nothing is judged. */
  accuracy: number | null;
  meanEnergyJ: number;
  /**
   * Mean energy ÷ accuracy: the energy spent per correct answer, wrong answers' energy included;
   * null when no answer is known to be correct.
   */
  energyPerCorrectJ: number | null;
}

export async function readAccuracySummary(
  reader: RecordReader,
  filter: RecordFilter = {},
): Promise<AccuracySummary[]> {
  const groups = new Map<string, AccuracySummary>();
  for await (const r of readLabelledRecords(reader, filter)) {
    const key = [r.fleet, r.device, r.modelId, r.variant].join('\u0000');
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        fleet: r.fleet,
        device: r.device,
        modelId: r.modelId,
        variant: r.variant,
        inferences: 0,
        judged: 0,
        correct: 0,
        accuracy: null,
        meanEnergyJ: 0,
        energyPerCorrectJ: null,
      };
      groups.set(key, g);
    }
    g.inferences++;
    g.meanEnergyJ += (r.energyJ - g.meanEnergyJ) / g.inferences;
    if (r.correct !== null) {
      g.judged++;
      if (r.correct) g.correct++;
    }
  }
  return [...groups.values()].map((g) => {
    const accuracy = g.judged === 0 ? null : g.correct / g.judged;
    return {
      ...g,
      accuracy,
      energyPerCorrectJ: accuracy === null || accuracy === 0 ? null : g.meanEnergyJ / accuracy,
    };
  });
}
