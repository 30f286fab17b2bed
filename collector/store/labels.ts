// Records with their labels: the join of `feedback` (ground truth given after the answer) to the
// records it is for, by (fleet, device, seq), on any store that reads records. What field accuracy
// and energy per *correct* inference are computed from (export, experiment analyses, compare).
// Offload records share the device's seq space with inference records, so one device's feedback
// joins either kind: an offloaded answer's label lands on its offload record.

import type { RecordFilter } from './filter.js';
import type { RecordReader, StoredOffloadRecord, StoredRecord } from './store.js';

/** Where feedback is read from: a store that reads records (the same store as the records). */
export type FeedbackReader = Pick<RecordReader, 'readFeedback'>;

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
  const labels = new DeviceLabels(reader);
  for await (const record of reader.readRecords(filter)) {
    const feedback = await labels.of(record);
    yield feedback === undefined
      ? { ...record, label: null }
      : { ...record, label: feedback.label, correct: feedback.correct };
  }
}

/**
 * An offload record with the feedback given for its seq: `label` is the true class — the feedback's,
 * else the record's own (the agent knew it as it sent the input), else absent — as the record's
 * own optional field, so a labelled record is still an offload record.
 */
export interface LabelledOffloadRecord extends StoredOffloadRecord {
  /**
   * Whether the server's answer (`prediction`) equals `label`; null without a label, and for a
   * request that got no answer (no prediction: nothing the device answered can be judged).
   */
  correct: boolean | null;
}

/**
 * Every offload record of the filter, in the reader's order, with the feedback for its seq joined.
 * The record carries the answer the device passed on (`prediction`), so the collector judges it
 * itself rather than trusting a verdict: a `feedback` message from a third-party publisher whose
 * `correct` disagrees with the stored prediction cannot make a wrong answer count as right.
 * A failed request that fell back to the edge answered with its edge record (seq + 1): that
 * record, not this one, is what its feedback names.
 */
export async function* readLabelledOffload(
  offload: { readOffload(filter: RecordFilter): AsyncIterable<StoredOffloadRecord> },
  feedback: FeedbackReader,
  filter: RecordFilter = {},
): AsyncIterable<LabelledOffloadRecord> {
  const labels = new DeviceLabels(feedback);
  for await (const record of offload.readOffload(filter)) {
    const label = (await labels.of(record))?.label ?? record.label;
    yield {
      ...record,
      ...(label === undefined ? {} : { label }),
      correct: label === undefined || record.prediction === undefined ? null : record.prediction === label,
    };
  }
}

/**
 * The feedback of the device a record belongs to, by seq. Readers give records grouped by fleet
 * and device, so one device's labels are held at a time: memory is bounded by one device's labels.
 */
class DeviceLabels {
  private device: string | undefined;
  private labels = new Map<number, { label: number; correct: boolean }>();

  constructor(private readonly reader: FeedbackReader) {}

  async of(record: { fleet: string; device: string; seq: number }) {
    const key = `${record.fleet}\u0000${record.device}`;
    if (key !== this.device) {
      this.device = key;
      this.labels = new Map();
      for await (const f of this.reader.readFeedback({ fleet: record.fleet, device: record.device })) {
        this.labels.set(f.seq, { label: f.label, correct: f.correct });
      }
    }
    return this.labels.get(record.seq);
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
