// Pairs a failed offload that fell back to the edge (`fallback: 'edge'`) with the edge inference the
// agent made for the same input (the same device's next seq), so the pair is ONE observation of its
// arm. Counted apart, the arm's energy per inference for those inputs would be the average of the two
// records instead of their sum. Holds only the fallback records until their edge record is read.

import type { StoredRecord } from '../store/index.js';
import { type Observation, offloadObservation, type StoredOffload } from './aggregate.js';

const key = (device: string, seq: number): string => `${device}\u0000${seq}`;

/**
 * The failed request and its edge run as one inference: energy = the request's device energy + the
 * edge record's; latency = round trip + edge duration; above idle takes off each part's own baseline
 * over its own span (one baseline weighted by duration); correctness is the edge record's answer.
 */
export function fallbackObservation(offload: StoredOffload, edge: StoredRecord): Observation {
  const request = offloadObservation(offload);
  const durationUs = request.durationUs + edge.durationUs;
  const baselineJ = request.baselineW * request.durationUs + edge.baselineW * edge.durationUs;
  // Its answer came from the edge: it belongs to an auto arm's edge share.
  const { ranOn: _, ...rest } = request;
  return {
    ...rest,
    energyJ: request.energyJ + edge.energyJ,
    durationUs,
    baselineW: durationUs === 0 ? 0 : baselineJ / durationUs,
    correct: edge.correct,
  };
}

export class FallbackPairs {
  /** Fallback offload records waiting for their edge record, by device and that record's seq. */
  private readonly waiting = new Map<string, StoredOffload>();

  /** Keeps a fallback offload record back (true); any other is left to the caller (false). */
  hold(record: StoredOffload): boolean {
    if (record.fallback !== 'edge') return false;
    this.waiting.set(key(record.device, record.seq + 1), record);
    return true;
  }

  /** The merged observation when `record` is a held fallback's edge inference, else undefined. */
  pair(record: StoredRecord): Observation | undefined {
    const k = key(record.device, record.seq);
    const offload = this.waiting.get(k);
    if (offload === undefined || offload.experiment !== record.experiment) return undefined;
    this.waiting.delete(k);
    return fallbackObservation(offload, record);
  }

  /** Fallback records whose edge record never came (lost): they count with the request alone. */
  unpaired(): StoredOffload[] {
    return [...this.waiting.values()];
  }
}
