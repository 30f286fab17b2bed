// Offload records back out of InfluxDB (measurement `offload`): the inverse of
// influx-offload-lines.ts, by the offload record's field table. As for inference records, a read
// goes device by device, each one chunked stream, filtered with the same RecordFilter
// (influx-read.ts's conditions: the tag keys fleet, device, model, variant, experiment, arm are
// the same in both measurements); the model's full id comes back from the device's status.

import { MEASUREMENTS, OFFLOAD_FIELD_LIST, OFFLOAD_KEYS, SOURCE_TAGS } from '../../protocol/index.js';
import { type RecordFilter, recordMatches } from './filter.js';
import type { InfluxQuery } from './influx-query.js';
import { quoteIdent } from './influx-query.js';
import { devicesWithRecords, influxConditions, modelIdsOf, rowStream, where } from './influx-read.js';
import type { OffloadReader, StoredOffloadRecord } from './store.js';

type Row = Record<string, unknown>;
const { fleet: FLEET, device: DEVICE } = SOURCE_TAGS;

/** A point of `offload` (tags and fields as columns, time in µs) as a record, by the table. */
export function pointToOffload(row: Row, fullModelId: (tag: string) => string): StoredOffloadRecord {
  const record: Record<string, unknown> = { fleet: row[FLEET], device: row[DEVICE] };
  for (const spec of OFFLOAD_FIELD_LIST) {
    const value = row[OFFLOAD_KEYS[spec.name]];
    const placement = spec.influx;
    if (placement.as === 'timestamp') record[spec.name] = row.time;
    else if (value === null || value === undefined || value === '') {
      // Left out when the record had none; a required field left out is the store's loss, said plainly.
      if (!spec.optional) record[spec.name] = null;
    } else if (placement.as === 'tag' && placement.shorten !== undefined) {
      record[spec.name] = fullModelId(String(value));
    } else
      record[spec.name] = placement.as === 'field' && placement.type === 'boolean-01' ? value === 1 : value;
  }
  return record as unknown as StoredOffloadRecord;
}

export class InfluxOffloadReader implements OffloadReader {
  constructor(private readonly query: InfluxQuery) {}

  private devices(f: RecordFilter) {
    return devicesWithRecords(this.query, MEASUREMENTS.offload, OFFLOAD_KEYS.seq, f);
  }

  async *readOffload(f: RecordFilter = {}): AsyncIterable<StoredOffloadRecord> {
    for (const { fleet, device } of await this.devices(f)) {
      const fullModelId = await modelIdsOf(this.query, fleet, device);
      const points = this.query.stream(
        `SELECT * FROM ${quoteIdent(MEASUREMENTS.offload)}${where(influxConditions(f, { fleet, device }))}`,
      );
      for await (const row of rowStream(points)) {
        const record = pointToOffload({ ...row, [FLEET]: fleet, [DEVICE]: device }, fullModelId);
        // The model tag holds the id's first characters: the whole id is checked here.
        if (recordMatches(record, f)) yield record;
      }
    }
  }

  /** Counted through the stream: a filter's model id may be longer than its tag. */
  async countOffload(f: RecordFilter = {}): Promise<number> {
    if (f.model === undefined) return (await this.devices(f)).reduce((sum, d) => sum + d.n, 0);
    let n = 0;
    for await (const _ of this.readOffload(f)) n++;
    return n;
  }
}
