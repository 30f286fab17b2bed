// Which records share one measured window, and statistics over windows. A batched window of N
// back-to-back inferences becomes N records with the window's energy ÷ N each: they are one
// measurement, not N, so a standard error over records is √N too small. The records say which
// window they came from without an id: the agent numbers a window's records consecutively (seq)
// and each carries `method: batched`, `windowInferences: N` and the same energy and baseline.

import type { InferenceRecord } from './record-fields.js';

type WindowFields = Pick<
  InferenceRecord,
  | 'seq'
  | 'startUs'
  | 'durationUs'
  | 'energyJ'
  | 'baselineW'
  | 'baselineUncertaintyW'
  | 'method'
  | 'windowInferences'
>;

/** One measured window as read back from its records. */
export interface RecordWindow {
  /** Records of the window found (N for a complete batched window, fewer if some were lost). */
  records: number;
  /** Gross energy per inference, joules (the window's energy ÷ N, as every record carries). */
  energyPerInferenceJ: number;
  /**
   * Energy above the idle baseline per inference, joules: (window energy − baseline × window
   * duration) ÷ N. The window's energy includes the gaps between its inferences, so the baseline
   * is taken over the window's span (first start to last end), not over each inference's own duration.
   */
  aboveIdlePerInferenceJ: number;
  /** What the baseline's uncertainty adds to aboveIdlePerInferenceJ, joules (0 when the records do not say). */
  baselineUncertaintyPerInferenceJ: number;
}

/** Whether `next` is the following record of the batched window that `group` has begun. */
function continues(group: readonly WindowFields[], next: WindowFields): boolean {
  const first = group[0];
  const last = group[group.length - 1];
  if (first === undefined || last === undefined) return false;
  const n = first.windowInferences ?? 1;
  return (
    (first.method ?? 'single') === 'batched' &&
    (next.method ?? 'single') === 'batched' &&
    (next.windowInferences ?? 1) === n &&
    group.length < n &&
    next.seq === last.seq + 1 &&
    next.energyJ === first.energyJ &&
    next.baselineW === first.baselineW
  );
}

function windowOf(group: readonly WindowFields[]): RecordWindow {
  const first = group[0] as WindowFields;
  const last = group[group.length - 1] as WindowFields;
  const spanUs = Math.max(last.startUs + last.durationUs - first.startUs, 0);
  // A lost record shortens the span and the count alike: span ÷ records found stays the share of one.
  const spanPerInferenceS = spanUs / 1e6 / group.length;
  return {
    records: group.length,
    energyPerInferenceJ: first.energyJ,
    aboveIdlePerInferenceJ: first.energyJ - first.baselineW * spanPerInferenceS,
    baselineUncertaintyPerInferenceJ: (first.baselineUncertaintyW ?? 0) * spanPerInferenceS,
  };
}

/**
 * Groups one device's records, in seq order, into measured windows. Records of different devices
 * (or models) must go to different groupers: give each stream its own.
 */
export class WindowGrouper {
  private group: WindowFields[] = [];

  /** Adds the next record; returns the window it closed, if any. */
  add(record: WindowFields): RecordWindow | undefined {
    if (this.group.length > 0 && continues(this.group, record)) {
      this.group.push(record);
      return undefined;
    }
    const closed = this.flush();
    this.group = [record];
    return closed;
  }

  /** Closes and returns the window in progress. */
  flush(): RecordWindow | undefined {
    if (this.group.length === 0) return undefined;
    const closed = windowOf(this.group);
    this.group = [];
    return closed;
  }
}

/** Every window of one stream of records in seq order. */
export function recordWindows(records: Iterable<WindowFields>): RecordWindow[] {
  const grouper = new WindowGrouper();
  const windows: RecordWindow[] = [];
  for (const record of records) {
    const closed = grouper.add(record);
    if (closed !== undefined) windows.push(closed);
  }
  const last = grouper.flush();
  if (last !== undefined) windows.push(last);
  return windows;
}

export interface WindowMean {
  /** Mean per inference: windows weighted by their records, so equal to the mean over records. */
  mean: number;
  /**
   * Standard error of that mean with windows as the independent units (the cluster-robust
   * estimator: √(W/(W−1) · Σ g²(x − mean)²) ÷ Σg for W windows of g records). Windows of one
   * record each give the textbook s/√n.
   */
  standardError: number;
  windows: number;
}

/** Mean and standard error over windows of a per-inference value (g = records of each window). */
export function meanOverWindows(
  windows: readonly RecordWindow[],
  value: (w: RecordWindow) => number,
): WindowMean {
  let total = 0;
  let weighted = 0;
  for (const w of windows) {
    total += w.records;
    weighted += w.records * value(w);
  }
  const count = windows.length;
  if (count === 0 || total === 0) return { mean: Number.NaN, standardError: Number.NaN, windows: 0 };
  const mean = weighted / total;
  if (count < 2) return { mean, standardError: 0, windows: count };
  let sumSq = 0;
  for (const w of windows) sumSq += (w.records * (value(w) - mean)) ** 2;
  return { mean, standardError: Math.sqrt((count / (count - 1)) * sumSq) / total, windows: count };
}
