// Line protocol of offload records (measurement `offload`), from the offload record's field table
// (protocol/offload-fields.ts): its tags (fleet, device, model, variant, experiment, arm, server,
// outcome), every other field as a typed field, the request's start as the point's time. A few
// records a second per device at most (one per request sent), so a plain loop, not compiled code.

import {
  MEASUREMENTS,
  OFFLOAD_FIELD_LIST,
  OFFLOAD_KEYS,
  type OffloadRecord,
  SOURCE_TAGS,
} from '../../protocol/index.js';
import { lineValues, recordTimestampNs } from './influx-lines.js';

const { tag, str, int, float } = lineValues;

type PutTag = (r: OffloadRecord, fleet: string, device: string) => string;

/** Tag writers in key order (InfluxDB's own order); an absent optional tag is left out. */
const putFleet: PutTag = (_r, fleet) => `,${SOURCE_TAGS.fleet}=${tag(fleet)}`;
const putDevice: PutTag = (_r, _fleet, device) => `,${SOURCE_TAGS.device}=${tag(device)}`;
const TAG_PUTS: { key: string; put: PutTag }[] = [
  { key: SOURCE_TAGS.fleet, put: putFleet },
  { key: SOURCE_TAGS.device, put: putDevice },
  ...OFFLOAD_FIELD_LIST.flatMap((f) => {
    if (f.influx.as !== 'tag') return [];
    const key = OFFLOAD_KEYS[f.name];
    const { shorten } = f.influx;
    const put: PutTag = (r) => {
      const v = r[f.name] as string | undefined;
      return v === undefined ? '' : `,${key}=${tag(shorten === undefined ? v : v.slice(0, shorten))}`;
    };
    return [{ key, put }];
  }),
].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

const FIELDS = OFFLOAD_FIELD_LIST.flatMap((f) => {
  const placement = f.influx;
  if (placement.as !== 'field') return [];
  const format = (v: unknown): string =>
    placement.type === 'integer'
      ? int(v as number)
      : placement.type === 'float'
        ? float(v as number)
        : placement.type === 'string'
          ? str(v as string)
          : v
            ? '1i'
            : '0i';
  return [{ name: f.name, key: OFFLOAD_KEYS[f.name], format }];
});

/** One point per offload record; the timestamp rule of records keeps (device, seq) one point. */
export function offloadLine(fleet: string, device: string, r: OffloadRecord): string {
  let tags: string = MEASUREMENTS.offload;
  for (const { put } of TAG_PUTS) tags += put(r, fleet, device);
  const fields: string[] = [];
  for (const { name, key, format } of FIELDS) {
    const v = r[name];
    if (v !== undefined) fields.push(`${key}=${format(v)}`);
  }
  return `${tags} ${fields.join(',')} ${recordTimestampNs(r)}`;
}

export function offloadLines(fleet: string, device: string, records: readonly OffloadRecord[]): string[] {
  return records.map((r) => offloadLine(fleet, device, r));
}
