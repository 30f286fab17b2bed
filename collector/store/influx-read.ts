// Reads of the InfluxDB store: InfluxQL results streamed back into records, the inverse of the
// line builder. Which record field is a tag, a field, an `inference_io` value or the timestamp
// comes from the record's field table (protocol/record-fields.ts), so a new field reads back
// without a change here. A read goes device by device, each a chunked stream (influx-query.ts),
// merged with that device's `inference_io` runs by seq: memory stays flat however many points.

import {
  FEEDBACK_KEYS,
  INFERENCE_IO_KEYS,
  INFERENCE_KEYS,
  MEASUREMENTS,
  RECORD_FIELD_LIST,
  RECORD_FIELDS,
  SOURCE_TAGS,
  STATUS_KEYS,
} from '../../protocol/index.js';
import { MODEL_PREFIX_MIN, type RecordFilter, recordMatches } from './filter.js';
import {
  type InfluxQuery,
  type InfluxSeries,
  prefixRegex,
  quoteIdent,
  quoteString,
  rowsOf,
} from './influx-query.js';
import type { DeviceStatus, DeviceSummary, RecordReader, StoredFeedback, StoredRecord } from './store.js';
import { WindowStats } from './summary-windows.js';

type Row = Record<string, unknown>;

/** The InfluxDB key of a record field (protocol/measurements.ts); undefined when the table has no such field. */
const influxKey = (name: string): string | undefined => (INFERENCE_KEYS as Record<string, string>)[name];

/** A filter on a field the table lacks is an error, never silently ignored. */
function keyFor(name: string): string {
  const key = influxKey(name);
  if (key === undefined) throw new Error(`the record field table has no field ${name}`);
  return key;
}

/** Characters the model id keeps in its tag (16), or undefined when it is kept whole. */
const placement = RECORD_FIELDS.modelId.influx;
const MODEL_TAG_CHARS: number | undefined = placement.as === 'tag' ? placement.shorten : undefined;

const IO_FIELDS = RECORD_FIELD_LIST.filter((f) => f.influx.as === 'io');
const { fleet: FLEET, device: DEVICE } = SOURCE_TAGS;

/** InfluxQL conditions of a filter; `only` adds exact fleet and device conditions. */
export function influxConditions(f: RecordFilter, only: { fleet?: string; device?: string } = {}): string[] {
  const conditions: string[] = [];
  const equal = (key: string, value: string | undefined) => {
    if (value !== undefined) conditions.push(`${quoteIdent(key)} = ${quoteString(value)}`);
  };
  equal(FLEET, only.fleet ?? f.fleet);
  equal(DEVICE, only.device ?? f.device);
  if (f.model !== undefined) {
    // The tag may hold only the id's first characters: match on those here; recordMatches()
    // checks the whole id once the record is read.
    const short = MODEL_TAG_CHARS ?? Number.POSITIVE_INFINITY;
    const model = quoteIdent(INFERENCE_KEYS.modelId);
    const byId =
      f.model.length >= MODEL_PREFIX_MIN
        ? `${model} =~ ${prefixRegex(f.model.slice(0, short))}`
        : `${model} = ${quoteString(f.model)}`;
    conditions.push(`(${byId} OR ${quoteIdent(INFERENCE_KEYS.variant)} = ${quoteString(f.model)})`);
  }
  // A point's time is start × 1000 ns + (seq mod 1000), so start ≥ from ⇔ time ≥ from × 1000 ns.
  if (f.fromUs !== undefined) conditions.push(`time >= ${Math.trunc(f.fromUs)}000`);
  if (f.toUs !== undefined) conditions.push(`time < ${Math.trunc(f.toUs)}000`);
  if (f.experiment !== undefined) equal(keyFor('experiment'), f.experiment);
  if (f.arm !== undefined) equal(keyFor('arm'), f.arm);
  return conditions;
}

export const where = (conditions: string[]): string =>
  conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;

/** One `inference_io` run: the io values of records from `firstSeq` on. */
interface IoRun {
  firstSeq: number;
  values: Row;
}

const ioRun = (row: Row): IoRun => ({ firstSeq: Number(row[INFERENCE_IO_KEYS.firstSeq]), values: row });

/** A point of `inference` (tags and fields as columns, time in µs) as a record, by the table. */
export function pointToRecord(
  row: Row,
  run: IoRun | undefined,
  fullModelId: (tag: string) => string,
): StoredRecord {
  const record: Record<string, unknown> = { fleet: row[FLEET], device: row[DEVICE] };
  for (const spec of RECORD_FIELD_LIST) {
    const key = INFERENCE_KEYS[spec.name];
    const placement = spec.influx;
    switch (placement.as) {
      case 'timestamp':
        record[spec.name] = row.time;
        break;
      case 'tag': {
        const value = row[key];
        if (typeof value === 'string' && value !== '') {
          record[spec.name] = placement.shorten === undefined ? value : fullModelId(value);
        } else if (!spec.optional) {
          record[spec.name] = spec.absent ?? '';
        }
        break;
      }
      case 'field': {
        const value = row[key];
        if (value === null || value === undefined) {
          // Left out when the record had none (or the omitted default): absent again, or its meaning.
          if (!spec.optional) record[spec.name] = placement.omit ?? null;
        } else {
          record[spec.name] = placement.type === 'boolean-01' ? value === 1 : value;
        }
        break;
      }
      case 'io': {
        const value = run?.values[key];
        if (typeof value === 'number') record[spec.name] = value;
        else if (!spec.optional) record[spec.name] = 0;
        break;
      }
    }
  }
  return record as unknown as StoredRecord;
}

/**
 * (fleet, device, records) of the devices with records in `measurement` matching the filter,
 * sorted; `seqKey` is the measurement's seq field, counted because every record has one.
 */
export async function devicesWithRecords(
  query: InfluxQuery,
  measurement: string,
  seqKey: string,
  f: RecordFilter,
): Promise<{ fleet: string; device: string; n: number }[]> {
  const series = await query.all(
    `SELECT count(${quoteIdent(seqKey)}) FROM ${quoteIdent(measurement)}${where(influxConditions(f))} GROUP BY ${quoteIdent(FLEET)}, ${quoteIdent(DEVICE)}`,
  );
  return series
    .map((s) => ({
      fleet: s.tags?.[FLEET] ?? '',
      device: s.tags?.[DEVICE] ?? '',
      n: Number(s.values[0]?.[1] ?? 0),
    }))
    .sort((a, b) => (a.fleet === b.fleet ? cmp(a.device, b.device) : cmp(a.fleet, b.fleet)));
}

export class InfluxReader implements RecordReader {
  constructor(private readonly query: InfluxQuery) {}

  private devices(f: RecordFilter) {
    return devicesWithRecords(this.query, MEASUREMENTS.inference, INFERENCE_KEYS.seq, f);
  }

  /** Count of matching points; exact unless the filter names a model id longer than its tag. */
  async countRecords(f: RecordFilter = {}): Promise<number> {
    if (f.model !== undefined && f.model.length > (MODEL_TAG_CHARS ?? Number.POSITIVE_INFINITY)) {
      let n = 0;
      for await (const _ of this.readRecords(f)) n++;
      return n;
    }
    return (await this.devices(f)).reduce((sum, d) => sum + d.n, 0);
  }

  async *readRecords(f: RecordFilter = {}): AsyncIterable<StoredRecord> {
    for (const { fleet, device } of await this.devices(f)) {
      yield* this.deviceRecords(fleet, device, f);
    }
  }

  private async *deviceRecords(fleet: string, device: string, f: RecordFilter): AsyncIterable<StoredRecord> {
    const fullModelId = await modelIdsOf(this.query, fleet, device);
    const ioColumns = [INFERENCE_IO_KEYS.firstSeq, ...IO_FIELDS.map((spec) => INFERENCE_KEYS[spec.name])]
      .map(quoteIdent)
      .join(', ');
    const io = quoteIdent(MEASUREMENTS.inferenceIo);
    const own = { fleet, device };
    // The run in force at `from` began before it: its last point before `from`.
    let run: IoRun | undefined;
    if (f.fromUs !== undefined) {
      const before = await this.query.all(
        `SELECT ${ioColumns} FROM ${io}${where([...influxConditions({}, own), `time < ${Math.trunc(f.fromUs)}000`])} ORDER BY time DESC LIMIT 1`,
      );
      const row = before[0] === undefined ? undefined : rowsOf(before[0])[0];
      if (row !== undefined) run = ioRun(row);
    }
    const runs = rowStream(
      this.query.stream(
        `SELECT ${ioColumns} FROM ${io}${where(influxConditions({ fromUs: f.fromUs, toUs: f.toUs }, own))}`,
      ),
    )[Symbol.asyncIterator]();
    let next = await runs.next();
    try {
      const points = this.query.stream(
        `SELECT * FROM ${quoteIdent(MEASUREMENTS.inference)}${where(influxConditions(f, own))}`,
      );
      for await (const row of rowStream(points)) {
        const seq = Number(row[INFERENCE_KEYS.seq]);
        // Runs come in time order, as the records do: take every run that starts at or before seq.
        while (next.done !== true && ioRun(next.value).firstSeq <= seq) {
          run = ioRun(next.value);
          next = await runs.next();
        }
        const record = pointToRecord({ ...row, [FLEET]: fleet, [DEVICE]: device }, run, fullModelId);
        if (recordMatches(record, f)) yield record;
      }
    } finally {
      await runs.return?.();
    }
  }

  /** Aggregated from the record stream (InfluxQL has no mean of a product): flat memory, one pass. */
  async readSummary(f: RecordFilter = {}): Promise<DeviceSummary[]> {
    const devices = new Map((await this.readDevices(f)).map((d) => [`${d.fleet}\u0000${d.device}`, d]));
    const groups = new Map<string, Omit<DeviceSummary, 'windows' | 'energyStandardErrorJ'>>();
    const windows = new WindowStats();
    for await (const r of this.readRecords(f)) {
      windows.add(r);
      const key = [r.fleet, r.device, r.modelId, r.variant, r.backend, r.sensor, r.provenance].join('\u0000');
      let g = groups.get(key);
      if (g === undefined) {
        const status = devices.get(`${r.fleet}\u0000${r.device}`);
        g = {
          fleet: r.fleet,
          device: r.device,
          board: status?.board ?? null,
          state: status?.state ?? null,
          modelId: r.modelId,
          variant: r.variant,
          backend: r.backend,
          sensor: r.sensor,
          provenance: r.provenance,
          inferences: 0,
          meanDurationUs: 0,
          meanEnergyJ: 0,
          meanMarginalEnergyJ: 0,
          meanUncertaintyJ: 0,
        };
        groups.set(key, g);
      }
      const n = ++g.inferences;
      const add = (mean: number, x: number) => mean + (x - mean) / n;
      g.meanDurationUs = add(g.meanDurationUs, r.durationUs);
      g.meanEnergyJ = add(g.meanEnergyJ, r.energyJ);
      g.meanMarginalEnergyJ = add(g.meanMarginalEnergyJ, r.energyJ - (r.baselineW * r.durationUs) / 1e6);
      g.meanUncertaintyJ = add(g.meanUncertaintyJ, r.energyUncertaintyJ);
    }
    return windows.apply([...groups.values()]);
  }

  /**
   * The last status of each device, as SQLite keeps it: state, seq and time of the last message,
   * every other value the last one given (a last will carries few).
   */
  readFeedback(f: RecordFilter = {}): AsyncIterable<StoredFeedback> {
    return readFeedbackPoints(this.query, f);
  }

  async readDevices(f: RecordFilter = {}): Promise<DeviceStatus[]> {
    const statuses = new Map<string, DeviceStatus>();
    const q = `SELECT * FROM ${quoteIdent(MEASUREMENTS.status)}${where(influxConditions({ fleet: f.fleet, device: f.device }))} GROUP BY ${quoteIdent(STATUS_KEYS.fleet)}, ${quoteIdent(STATUS_KEYS.device)}`;
    const K = STATUS_KEYS;
    for await (const row of rowStream(this.query.stream(q))) {
      const key = `${row[K.fleet]}\u0000${row[K.device]}`;
      const before = statuses.get(key);
      const text = (column: string, previous: string | null | undefined) =>
        typeof row[column] === 'string' && row[column] !== '' ? (row[column] as string) : (previous ?? null);
      statuses.set(key, {
        fleet: String(row[K.fleet]),
        device: String(row[K.device]),
        state: String(row[K.state]),
        statusSeq: Number(row[K.seq]),
        statusAtUs: Number(row[K.atUs]),
        board: text(K.board, before?.board),
        sensor: text(K.sensor, before?.sensor),
        backend: text(K.backend, before?.backend),
        modelId: text(K.modelId, before?.modelId),
        variant: text(K.variant, before?.variant),
        agentVersion: text(K.agentVersion, before?.agentVersion),
      });
    }
    return [...statuses.values()].sort((a, b) =>
      a.fleet === b.fleet ? cmp(a.device, b.device) : cmp(a.fleet, b.fleet),
    );
  }
}

/**
 * The seq of the device's newest `inference` point, or null when it has none: its highest seq
 * stored, as the answer to a birth needs it. `last()`, not `max()`: InfluxDB reads one block per
 * series for it, where max() would read every point the device ever sent, at every birth of every
 * device. The two agree unless the device's clock went back (a point's time is the record's start).
 */
export async function newestSeq(query: InfluxQuery, fleet: string, device: string): Promise<number | null> {
  const seq = quoteIdent(INFERENCE_KEYS.seq);
  // Offload records share the device's seq space (the same `seq` key): the highest of either.
  // max(), not last(): points are timed by the device's clock, and a clock set back would make an
  // older seq the newest point (the device would then reuse seqs and lose records as duplicates).
  let highest: number | null = null;
  for (const measurement of [MEASUREMENTS.inference, MEASUREMENTS.offload]) {
    const series = await query.all(
      `SELECT max(${seq}) AS ${seq} FROM ${quoteIdent(measurement)}${where(influxConditions({}, { fleet, device }))}`,
    );
    const value = series.flatMap(rowsOf)[0]?.[INFERENCE_KEYS.seq];
    if (typeof value === 'number' && (highest === null || value > highest)) highest = value;
  }
  return highest;
}

/**
 * The last feedback of each record, by seq. One device's feedback is held at a time: a few numbers
 * per labelled record, far less than its records.
 */
export async function* readFeedbackPoints(
  query: InfluxQuery,
  f: RecordFilter,
): AsyncIterable<StoredFeedback> {
  const K = FEEDBACK_KEYS;
  const q = `SELECT * FROM ${quoteIdent(MEASUREMENTS.feedback)}${where(influxConditions({ fleet: f.fleet, device: f.device }))} GROUP BY ${quoteIdent(K.fleet)}, ${quoteIdent(K.device)}`;
  let device: string | undefined;
  let latest = new Map<number, StoredFeedback>();
  const flush = function* () {
    yield* [...latest.values()].sort((a, b) => a.seq - b.seq);
  };
  for await (const row of rowStream(query.stream(q))) {
    const key = `${row[K.fleet]}\u0000${row[K.device]}`;
    if (key !== device) {
      yield* flush();
      latest = new Map();
      device = key;
    }
    const feedback: StoredFeedback = {
      fleet: String(row[K.fleet]),
      device: String(row[K.device]),
      seq: Number(row[K.seq]),
      label: Number(row[K.label]),
      correct: Number(row[K.correct]) === 1,
      atUs: Number(row[K.atUs]),
    };
    const before = latest.get(feedback.seq);
    // Points come in time order; the later of two feedbacks for one record wins.
    if (before === undefined || feedback.atUs >= before.atUs) latest.set(feedback.seq, feedback);
  }
  yield* flush();
}

/** The full model ids a device reported in its status messages, by their tag (shortened id). */
export async function modelIdsOf(
  query: InfluxQuery,
  fleet: string,
  device: string,
): Promise<(tag: string) => string> {
  const short = MODEL_TAG_CHARS;
  if (short === undefined) return (tag) => tag;
  const series = await query.all(
    `SELECT DISTINCT(${quoteIdent(STATUS_KEYS.modelId)}) FROM ${quoteIdent(MEASUREMENTS.status)}${where(influxConditions({}, { fleet, device }))}`,
  );
  const byTag = new Map<string, string | null>();
  for (const id of series.flatMap((s) => s.values.map((v) => v[1]))) {
    if (typeof id !== 'string') continue;
    const tag = id.slice(0, short);
    byTag.set(tag, byTag.has(tag) && byTag.get(tag) !== id ? null : id);
  }
  // Unknown or ambiguous: the tag is all the store has of the id.
  return (tag) => byTag.get(tag) ?? tag;
}

export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export async function* rowStream(series: AsyncIterable<InfluxSeries>): AsyncIterable<Row> {
  for await (const s of series) yield* rowsOf(s);
}
