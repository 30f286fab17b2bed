// InfluxDB 1.x line protocol for edgewatt: the schema (measurements, tags, typed fields) and the
// point identity that makes redelivery idempotent. Documented in docs/deployment.md#schema.
//
// Tags are low-cardinality identity only, and a pure function of the message, so a batch
// redelivered to another collector lands in the same series. Every field has one fixed type:
// integers always carry the `i` suffix, floats never do, so a field-type conflict cannot happen.

import {
  COMPARISON_KEYS as C,
  FEEDBACK_KEYS as F,
  type FeedbackMessage,
  INFERENCE_IO_KEYS,
  INFERENCE_KEYS,
  type InferenceColumns,
  type InferenceRecord,
  inferenceCursor,
  MEASUREMENTS,
  RECORD_FIELD_LIST,
  RECORD_FIELDS,
  type RecordFieldName,
  STATUS_KEYS as S,
  SOURCE_TAGS,
  type StatusMessage,
  type TableField,
} from '../../protocol/index.js';
import type { ComparisonResult } from '../lifecycle/comparison-result.js';
import type { LineBuffer } from './line-buffer.js';

// Line protocol escapes `,`, `=` and space in a tag value with a backslash. It has no escape for
// a newline or another control character, and none for a backslash (InfluxDB 1.x keeps `\\` as
// two, and one before `,`, `=`, a space or the end escapes that): such a value cannot be written,
// and throws here. Values from devices were checked before they were spooled (influx-tags.ts).
const TAG_SPECIAL = /[,= ]/g;

/** Whether line protocol cannot carry `value` as a tag value: a control character or a backslash. */
export function tagValueUnwritable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x5c) return true;
  }
  return false;
}

const tag = (value: string): string => {
  if (value.length === 0) return 'none';
  if (tagValueUnwritable(value))
    throw new RangeError(
      `tag value ${JSON.stringify(value.slice(0, 80))} holds a control character or a backslash`,
    );
  return value.replace(TAG_SPECIAL, '\\$&');
};
const str = (value: string): string => `"${value.replace(/[\\"]/g, '\\$&').replace(/\n/g, ' ')}"`;
const int = (value: number): string => `${Math.trunc(value)}i`;
const float = (value: number): string => {
  if (!Number.isFinite(value)) throw new RangeError(`line protocol float must be finite, got ${value}`);
  return String(value);
};

/** The `model` tag: the first hex digits of the artifact hash (enough to tell a fleet's models apart). */
const modelPlacement = RECORD_FIELDS.modelId.influx;
const MODEL_TAG_CHARS = modelPlacement.as === 'tag' ? modelPlacement.shorten : undefined;
export const modelTag = (modelId: string): string => tag(modelId.slice(0, MODEL_TAG_CHARS));

/**
 * Point timestamp of a record, nanoseconds as text: its start (µs) × 1000 + seq mod 1000. Two
 * records of one device that start in the same microsecond still get different timestamps
 * (unless their seqs are 1000 apart), and a redelivered record gets the same one: it overwrites.
 */
export function recordTimestampNs(record: Pick<InferenceRecord, 'startUs' | 'seq'>): string {
  return `${record.startUs}${String(record.seq % 1000).padStart(3, '0')}`;
}

// What each record field becomes, from the field table (protocol/record-fields.ts), compiled once.
const value = (r: InferenceRecord, name: RecordFieldName): unknown => r[name];

/** Record fields that are tags; a batch's records nearly always share them. */
const TAG_NAMES = RECORD_FIELD_LIST.filter((f) => f.influx.as === 'tag').map((f) => f.name);
/** Record fields of `inference_io`, one point per run of equal values. */
const IO_NAMES = RECORD_FIELD_LIST.filter((f) => f.influx.as === 'io').map((f) => f.name);

/**
 * Tag writers in key order (InfluxDB sorts tags otherwise, per point), fleet and device among
 * them. A tag is written with the absent value when the record has none (method=single, there
 * from the start, keeps its series); without an absent value it is left out, so records without
 * an experiment stay in the series they were in before the experiment tags existed.
 */
type PutTag = (r: InferenceRecord, fleet: string, device: string) => string;
const TAG_PUTS: { key: string; put: PutTag }[] = [
  {
    key: SOURCE_TAGS.fleet,
    put: (_r: InferenceRecord, fleet: string) => `,${SOURCE_TAGS.fleet}=${tag(fleet)}`,
  },
  {
    key: SOURCE_TAGS.device,
    put: (_r: InferenceRecord, _fleet: string, device: string) => `,${SOURCE_TAGS.device}=${tag(device)}`,
  },
  ...RECORD_FIELD_LIST.flatMap((f) => {
    if (f.influx.as !== 'tag') return [];
    const key = INFERENCE_KEYS[f.name];
    const { shorten } = f.influx;
    const absent = f.absent as string | undefined;
    return [
      {
        key,
        put: (r: InferenceRecord) => {
          const v = (value(r, f.name) as string | undefined) ?? absent;
          if (v === undefined) return '';
          return `,${key}=${tag(shorten === undefined ? v : v.slice(0, shorten))}`;
        },
      },
    ];
  }),
].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

function inferenceTags(fleet: string, device: string, r: InferenceRecord): string {
  let tags = MEASUREMENTS.inference;
  for (const { put } of TAG_PUTS) tags += put(r, fleet, device);
  return tags;
}

/**
 * The fields that change from one inference to the next, in table order. InfluxDB's write cost
 * grows with the fields of a point (bench:ingest), so derivable and per-call values are not
 * repeated here: energy above idle is energy_j − baseline_w × duration_us / 1e6 (dashboards
 * compute it), and batch size and tensor bytes go to `inference_io` (the table's `io` fields).
 * A field is left out when the record has none or it equals the table's `omit` (correct: null).
 */
/** A table's rows and their InfluxDB keys: what the field writers are compiled from. */
export interface FieldTable {
  readonly fields: readonly TableField[];
  readonly keys: Readonly<Record<string, string>>;
}

const RECORD_TABLE: FieldTable = { fields: RECORD_FIELD_LIST, keys: INFERENCE_KEYS };

const inferenceFields = compileFieldWriter(RECORD_TABLE);

/**
 * Compiles the field writer from the table once: the collector builds a line per record at
 * 100,000+ records/s, and a loop of closures with computed keys ran 2.8× slower than the
 * hand-written template it replaces. The source holds only names checked to be identifiers and
 * JSON literals.
 */
function compileFieldWriter(table: FieldTable): (r: InferenceRecord) => string {
  // Fields always present form one concatenation, the others one test each; the first written
  // field has no leading comma (slicing it off would flatten the string on every record).
  let always = '';
  let sometimes = '';
  for (const f of table.fields) {
    const placement = f.influx;
    if (placement.as !== 'field') continue;
    const key = table.keys[f.name] as string;
    if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(f.name) || !/^[a-z][a-z0-9_]*$/.test(key)) {
      throw new Error(`record field ${f.name} (key ${key}) cannot be compiled`);
    }
    const format = (v: string) =>
      placement.type === 'integer'
        ? `int(${v})`
        : placement.type === 'float'
          ? `float(${v})`
          : placement.type === 'string'
            ? `str(${v})`
            : `(${v} ? '1i' : '0i')`;
    if (!f.optional && placement.omit === undefined) {
      always += ` + '${always === '' ? '' : ','}${key}=' + ${format(`r.${f.name}`)}`;
    } else {
      const omit = placement.omit === undefined ? '' : ` && v !== ${JSON.stringify(placement.omit)}`;
      sometimes += ` v = r.${f.name}; if (v !== undefined${omit}) s = s === '' ? '${key}=' + ${format('v')} : s + ',${key}=' + ${format('v')};`;
    }
  }
  const source = `return (r) => { let s = ''${always}; let v;${sometimes} return s; };`;
  return new Function('int', 'float', 'str', source)(int, float, str);
}

export function inferenceLine(fleet: string, device: string, r: InferenceRecord): string {
  return `${inferenceTags(fleet, device, r)} ${inferenceFields(r)} ${recordTimestampNs(r)}`;
}

/** `(a, b) => a.x === b.x && ...` over some record fields, compiled once (per-record hot path). */
function compileSameValues(
  names: readonly RecordFieldName[],
): (a: InferenceRecord, b: InferenceRecord) => boolean {
  for (const name of names) {
    if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(name)) throw new Error(`record field ${name} cannot be compiled`);
  }
  const test = names.map((name) => `a.${name} === b.${name}`).join(' && ') || 'true';
  return new Function(`return (a, b) => ${test};`)();
}
const sameTags = compileSameValues(TAG_NAMES);
const sameIo = compileSameValues(IO_NAMES);

/**
 * The points of one batch message: a point per record in `inference`, and in `inference_io` a
 * point per run of records with equal (batch size, input bytes, output bytes) — usually one per
 * message — at the run's first record's timestamp, with `first_seq` and `records`: the values of
 * any record are those of the run that holds its seq. Redelivered, a message gives the same points.
 */
export function inferenceLines(fleet: string, device: string, records: readonly InferenceRecord[]): string[] {
  return linesOf(fleet, device, records, inferenceFields);
}

function linesOf(
  fleet: string,
  device: string,
  records: readonly InferenceRecord[],
  fields: (r: InferenceRecord) => string,
): string[] {
  const lines: string[] = [];
  let tagsOf: InferenceRecord | undefined;
  let tags = '';
  let runStart = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as InferenceRecord;
    if (tagsOf === undefined || !sameTags(tagsOf, r)) {
      tagsOf = r;
      tags = inferenceTags(fleet, device, r);
    }
    lines.push(`${tags} ${fields(r)} ${recordTimestampNs(r)}`);
    const next = records[i + 1];
    if (next === undefined || !sameIo(r, next)) {
      lines.push(ioLine(fleet, device, records[runStart] as InferenceRecord, i + 1 - runStart));
      runStart = i + 1;
    }
  }
  return lines;
}

/** Room a point's timestamp and separators take at most. */
const TIMESTAMP_BYTES = 64;

/** A compiled field writer into a LineBuffer, and the room (reserve()) it needs besides string values. */
interface FieldBytesWriter {
  write: (r: InferenceRecord, o: LineBuffer) => void;
  maxBytes: number;
}

/**
 * The same fields as inferenceFields(), written into a LineBuffer: keys and integers as bytes
 * directly, floats through String() (the shortest round-trip digits, as in a line). Compiled from
 * the table like inferenceFields. The caller reserves `maxBytes` + TIMESTAMP_BYTES for a point
 * before writing it; a string value has no bound, so it makes room for itself and then reserves
 * that room again for whatever follows it in the point (the other fields, the timestamp).
 */
const inferenceFieldBytes = compileFieldBytesWriter(RECORD_TABLE);

/**
 * Source that stores the ASCII `text` at the LineBuffer `o`'s position, a constant store per byte
 * (room reserved before): no call and no loop for a key. Reads o.buffer afresh, since a string
 * value written before it may have grown the buffer.
 */
function storeAscii(text: string): string {
  if (!/^[\x20-\x7e]*$/.test(text))
    throw new Error(`key text ${JSON.stringify(text)} is not printable ASCII`);
  let source = '{ const b = o.buffer; const at = o.at;';
  for (let i = 0; i < text.length; i++) source += ` b[at + ${i}] = ${text.charCodeAt(i)};`;
  return `${source} o.at = at + ${text.length}; }`;
}

function compileFieldBytesWriter(table: FieldTable): FieldBytesWriter {
  let always = '';
  let sometimes = '';
  // A number takes at most 24 characters (-1.2345678901234567e-308), an integer 17 and its `i`.
  let maxBytes = 0;
  for (const f of table.fields) {
    const placement = f.influx;
    if (placement.as !== 'field') continue;
    const key = table.keys[f.name] as string;
    if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(f.name) || !/^[a-z][a-z0-9_]*$/.test(key)) {
      throw new Error(`record field ${f.name} (key ${key}) cannot be compiled`);
    }
    maxBytes += key.length + 2 + 26;
    const put = (v: string) =>
      placement.type === 'integer'
        ? `o.putInt(${v}); o.putByte(105);`
        : placement.type === 'float'
          ? `o.putAscii(float(${v}));`
          : placement.type === 'string'
            ? `o.utf8(str(${v})); o.reserve(room);`
            : `o.putAscii(${v} ? '1i' : '0i');`;
    if (!f.optional && placement.omit === undefined) {
      always += ` ${storeAscii(`${always === '' ? '' : ','}${key}=`)} ${put(`r.${f.name}`)}`;
    } else {
      const omit = placement.omit === undefined ? '' : ` && v !== ${JSON.stringify(placement.omit)}`;
      sometimes += ` v = r.${f.name}; if (v !== undefined${omit}) { if (first) ${storeAscii(`${key}=`)} else ${storeAscii(`,${key}=`)} first = false; ${put('v')} }`;
    }
  }
  const source = `return (r, o) => {${always} let first = ${always === '' ? 'true' : 'false'}; let v;${sometimes} };`;
  // After a string: room for every field and the timestamp again (more than what is left; cheap).
  const room = maxBytes + TIMESTAMP_BYTES;
  return { write: new Function('float', 'str', 'room', source)(float, str, room), maxBytes };
}

/** A point's timestamp as recordTimestampNs() writes it; digits directly for the usual whole, non-negative values. */
function putTimestamp(o: LineBuffer, r: InferenceRecord): void {
  const { startUs, seq } = r;
  if (!(Number.isSafeInteger(startUs) && startUs >= 0 && Number.isSafeInteger(seq) && seq >= 0)) {
    o.putAscii(recordTimestampNs(r));
    return;
  }
  o.putInt(startUs);
  // seq mod 1000 in three digits: seq − 1000 × ⌊seq / 1000⌋ stays exact below 2^53.
  const ns = (seq - Math.floor(seq / 1000) * 1000) | 0;
  const hundreds = (ns / 100) | 0;
  const tens = ((ns - hundreds * 100) / 10) | 0;
  o.putByte(48 + hundreds);
  o.putByte(48 + tens);
  o.putByte(48 + ns - hundreds * 100 - tens * 10);
}

/**
 * Writes the points of inferenceLines() into `out`, each ending in a newline: the same bytes, but
 * the tags (shared by a batch's records) are encoded once and copied, and fields and timestamp
 * are written as bytes, so that no string per point is built, joined and encoded again. Returns
 * the points written.
 */
export function writeInferenceLines(
  out: LineBuffer,
  fleet: string,
  device: string,
  records: readonly InferenceRecord[],
): number {
  return writePoints(
    out,
    fleet,
    device,
    records.length,
    (i) => records[i] as InferenceRecord,
    true,
    inferenceFieldBytes,
  );
}

/**
 * The same points as writeInferenceLines() of the batch's records, written from the checked wire
 * columns ingest decoded (what the spool keeps in memory, ~50 bytes a record): each record is
 * read into one of two reused objects, so a batch makes no object per record.
 */
export function writeInferenceColumns(
  out: LineBuffer,
  fleet: string,
  device: string,
  columns: InferenceColumns,
): number {
  const cursor = inferenceCursor(columns);
  columnSlots ??= [cursor.blank(), cursor.blank()];
  return writePoints(
    out,
    fleet,
    device,
    cursor.count,
    (i) => cursor.next(columnSlots?.[i & 1] as InferenceRecord),
    false,
    inferenceFieldBytes,
  );
}

/**
 * The two objects writeInferenceColumns() reads records into, in turn (the one being written and
 * the next), made once with every field in place: the writer is synchronous, so they are reused.
 */
let columnSlots: [InferenceRecord, InferenceRecord] | undefined;

/**
 * Record `i` of a message, asked for in order, each once. A reader that reuses objects returns a
 * record valid only until the read after next (`stable` false).
 */
type ReadRecord = (i: number) => InferenceRecord;

function writePoints(
  out: LineBuffer,
  fleet: string,
  device: string,
  count: number,
  read: ReadRecord,
  /** Whether a record read stays valid after later reads (an array's); else those kept are copied. */
  stable: boolean,
  fieldBytes: FieldBytesWriter,
): number {
  let points = 0;
  let tagsOf: InferenceRecord | undefined;
  let tagBytes: Buffer = Buffer.alloc(0);
  // The first record of the current run of equal io values (its `inference_io` point's values).
  let runFirst: InferenceRecord | undefined;
  let runStart = 0;
  // The record being written and the next one (read ahead: it may end the io run).
  let next: InferenceRecord | undefined = count > 0 ? read(0) : undefined;
  for (let i = 0; i < count; i++) {
    const r = next as InferenceRecord;
    next = i + 1 < count ? read(i + 1) : undefined;
    if (runFirst === undefined) runFirst = stable ? r : { ...r };
    if (tagsOf === undefined || !sameTags(tagsOf, r)) {
      tagsOf = stable ? r : { ...r };
      tagBytes = Buffer.from(`${inferenceTags(fleet, device, r)} `, 'utf8');
    }
    out.bytes(tagBytes);
    out.reserve(fieldBytes.maxBytes + TIMESTAMP_BYTES);
    fieldBytes.write(r, out);
    out.putByte(32); // ' '
    putTimestamp(out, r);
    out.putByte(10); // '\n'
    points++;
    if (next === undefined || !sameIo(r, next)) {
      out.utf8(`${ioLine(fleet, device, runFirst, i + 1 - runStart)}\n`);
      points++;
      runFirst = undefined;
      runStart = i + 1;
    }
  }
  return points;
}

/** How many points inferenceLines() makes of these records: one per record, one per run of equal io values. */
export function inferencePointCount(records: readonly InferenceRecord[]): number {
  let points = records.length;
  for (let i = 0; i < records.length; i++) {
    const next = records[i + 1];
    if (next === undefined || !sameIo(records[i] as InferenceRecord, next)) points++;
  }
  return points;
}

function ioLine(fleet: string, device: string, first: InferenceRecord, records: number): string {
  let fields = '';
  for (const name of IO_NAMES) fields += `,${INFERENCE_KEYS[name]}=${int(value(first, name) as number)}`;
  return (
    `${MEASUREMENTS.inferenceIo},${SOURCE_TAGS.device}=${tag(device)},${SOURCE_TAGS.fleet}=${tag(fleet)}` +
    `,${INFERENCE_KEYS.modelId}=${modelTag(first.modelId)},${INFERENCE_KEYS.variant}=${tag(first.variant)}` +
    ` ${fields.slice(1)},${INFERENCE_IO_KEYS.firstSeq}=${int(first.seq)},${INFERENCE_IO_KEYS.records}=${int(records)}` +
    ` ${recordTimestampNs(first)}`
  );
}

/**
 * A status point. Timestamp: the message's atUs (µs → ns), + 1 ns for `offline`, because a last
 * will carries the time its connection began, the same as that connection's birth message.
 */
export function statusLine(fleet: string, s: StatusMessage): string {
  let tags = `${MEASUREMENTS.status},${S.fleet}=${tag(fleet)},${S.device}=${tag(s.device)}`;
  if (s.board !== undefined) tags += `,${S.board}=${tag(s.board)}`;
  let fields = `${S.state}=${str(s.state)},${S.online}=${s.state === 'online' ? '1i' : '0i'},${S.seq}=${int(s.seq)},${S.atUs}=${int(s.atUs)}`;
  if (s.sensor !== undefined) fields += `,${S.sensor}=${str(s.sensor)}`;
  if (s.backend !== undefined) fields += `,${S.backend}=${str(s.backend)}`;
  if (s.modelId !== undefined) fields += `,${S.modelId}=${str(s.modelId)}`;
  if (s.variant !== undefined) fields += `,${S.variant}=${str(s.variant)}`;
  if (s.agentVersion !== undefined) fields += `,${S.agentVersion}=${str(s.agentVersion)}`;
  return `${tags} ${fields} ${s.atUs}${s.state === 'offline' ? '001' : '000'}`;
}

/** One point per feedback; seq mod 1000 in the timestamp keeps two feedbacks of one microsecond apart. */
export function feedbackLine(fleet: string, f: FeedbackMessage): string {
  const tags = `${MEASUREMENTS.feedback},${F.device}=${tag(f.device)},${F.fleet}=${tag(fleet)}`;
  const fields = `${F.correct}=${f.correct ? '1i' : '0i'},${F.label}=${int(f.label)},${F.seq}=${int(f.seq)},${F.atUs}=${int(f.atUs)}`;
  return `${tags} ${fields} ${f.atUs}${String(f.seq % 1000).padStart(3, '0')}`;
}

export function comparisonLine(c: ComparisonResult): string {
  let tags = `${MEASUREMENTS.comparison},${C.fleet}=${tag(c.fleet)}`;
  if (c.device !== undefined) tags += `,${C.device}=${tag(c.device)}`;
  tags += `,${C.board}=${tag(c.board)},${C.model}=${modelTag(c.modelId)},${C.variant}=${tag(c.variant)},${C.scenario}=${tag(c.scenario)},${C.unit}=${tag(c.unit)}`;
  let fields =
    `${C.edgeG}=${float(c.edge.meanG)},${C.edgeLowG}=${float(c.edge.lowG)},${C.edgeHighG}=${float(c.edge.highG)}` +
    `,${C.offloadG}=${float(c.offload.meanG)},${C.offloadLowG}=${float(c.offload.lowG)},${C.offloadHighG}=${float(c.offload.highG)}` +
    `,${C.probabilityEdgeWins}=${float(c.probabilityEdgeWins)},${C.intervalLevel}=${float(c.intervalLevel)},${C.samples}=${int(c.samples)}`;
  if (c.breakEvenPerS !== null) fields += `,${C.breakEvenPerS}=${float(c.breakEvenPerS)}`;
  return `${tags} ${fields} ${c.atUs}000`;
}

/** The value writers of line protocol, for the line builders of other measurements. */
export const lineValues = { tag, str, int, float } as const;

/**
 * inferenceLines() and writeInferenceLines() with the fields of another table (the tags and
 * `inference_io` stay the record table's): for tests of field kinds the record table does not
 * have yet, such as a string field.
 */
export function inferenceWritersFor(table: FieldTable): {
  lines: (fleet: string, device: string, records: readonly InferenceRecord[]) => string[];
  write: (out: LineBuffer, fleet: string, device: string, records: readonly InferenceRecord[]) => number;
} {
  const fields = compileFieldWriter(table);
  const bytes = compileFieldBytesWriter(table);
  return {
    lines: (fleet, device, records) => linesOf(fleet, device, records, fields),
    write: (out, fleet, device, records) =>
      writePoints(out, fleet, device, records.length, (i) => records[i] as InferenceRecord, true, bytes),
  };
}
