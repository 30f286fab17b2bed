// Per-window statistics for the store summary (the demo table): the records of a batched window
// are one measurement, so the standard error is taken over windows and the above-idle energy over
// the window's span (protocol/record-windows.ts). SQL groups the rows; this pass reads the records.

import { meanOverWindows, type RecordWindow, WindowGrouper } from '../../protocol/index.js';
import type { DeviceSummary, StoredRecord } from './store.js';

type SummaryKey = Pick<
  DeviceSummary,
  'fleet' | 'device' | 'modelId' | 'variant' | 'backend' | 'sensor' | 'provenance'
>;

const keyOf = (r: SummaryKey): string =>
  JSON.stringify([r.fleet, r.device, r.modelId, r.variant, r.backend, r.sensor, r.provenance]);

/** Groups records into windows per summary row, record by record (a stream never held whole). */
export class WindowStats {
  private readonly streams = new Map<string, { grouper: WindowGrouper; windows: RecordWindow[] }>();

  add(record: StoredRecord): void {
    const key = keyOf(record);
    let stream = this.streams.get(key);
    if (stream === undefined) {
      stream = { grouper: new WindowGrouper(), windows: [] };
      this.streams.set(key, stream);
    }
    const closed = stream.grouper.add(record);
    if (closed !== undefined) stream.windows.push(closed);
  }

  /** Each row with its window figures; rows lacking records keep their own figures. */
  apply<R extends SummaryKey & { meanMarginalEnergyJ: number }>(
    rows: readonly R[],
  ): (R & Pick<DeviceSummary, 'windows' | 'energyStandardErrorJ'>)[] {
    return rows.map((row) => {
      const stream = this.streams.get(keyOf(row));
      const last = stream?.grouper.flush();
      if (stream !== undefined && last !== undefined) stream.windows.push(last);
      const windows = stream?.windows ?? [];
      if (windows.length === 0) return { ...row, windows: 0, energyStandardErrorJ: Number.NaN };
      const gross = meanOverWindows(windows, (w) => w.energyPerInferenceJ);
      const aboveIdle = meanOverWindows(windows, (w) => w.aboveIdlePerInferenceJ);
      return {
        ...row,
        meanMarginalEnergyJ: aboveIdle.mean,
        windows: windows.length,
        energyStandardErrorJ: gross.standardError,
      };
    });
  }
}

/**
 * Fills each row's window figures from the records (which must come in fleet, device, seq order).
 * Rows lacking records keep their SQL figures.
 */
export function withWindowStats<R extends SummaryKey & { meanMarginalEnergyJ: number }>(
  rows: readonly R[],
  records: Iterable<StoredRecord>,
): (R & Pick<DeviceSummary, 'windows' | 'energyStandardErrorJ'>)[] {
  const stats = new WindowStats();
  for (const record of records) stats.add(record);
  return stats.apply(rows);
}
