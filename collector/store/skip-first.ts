// `--skip-first N` of export and compare: drops the first N records of each device and model, in
// the order the store reads them (per device by seq or start time). The first inferences of a run
// compile the graph and fill caches (50–100× the median, issue 13); agents now warm up unpublished,
// but records from older agents or other publishers still hold them. Applied after the store's
// read and its filters, so "first" means the first of what the other filters selected.

import type { StoredRecord } from './store.js';

/** Records of the same fleet, device and model are one series. */
const seriesKey = (r: Pick<StoredRecord, 'fleet' | 'device' | 'modelId'>) =>
  `${r.fleet}\u0000${r.device}\u0000${r.modelId}`;

export interface SkipCount {
  /** Records dropped so far, over every series. */
  skipped: number;
}

/** Yields the records after the first `n` of each fleet/device/model series; `count.skipped` says how many went. */
export async function* skipFirstPerModel<R extends Pick<StoredRecord, 'fleet' | 'device' | 'modelId'>>(
  records: AsyncIterable<R> | Iterable<R>,
  n: number,
  count: SkipCount = { skipped: 0 },
): AsyncIterable<R> {
  const seen = new Map<string, number>();
  for await (const record of records) {
    if (n > 0) {
      const key = seriesKey(record);
      const k = seen.get(key) ?? 0;
      if (k < n) {
        seen.set(key, k + 1);
        count.skipped++;
        continue;
      }
    }
    yield record;
  }
}
