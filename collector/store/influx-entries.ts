// What the InfluxDB store keeps in its write-ahead spool, and how it becomes line protocol when it
// is written. An accepted MQTT message is spooled as the bytes it arrived in (~21 bytes a record
// in CBOR, against ~300 as line protocol), framed with its fleet, device, receive time and
// encoding; lines are built from it (decode, then influx-lines.ts) only when InfluxDB is written.
// Comparison results, and the lines of a spool left by an older version, are spooled as lines.
//
// Entry layout, byte 0 the kind:
//   1 message: [1] encoding (1 CBOR, 2 JSON) · [2..9] receivedUs, float64 LE (exact below 2^53)
//              · u16 LE fleet length · fleet (UTF-8) · u16 LE device length · device · payload
//   2 lines:   line protocol, each point ending in "\n"

import {
  decodeMessage,
  detectEncoding,
  type Encoding,
  encodeMessage,
  type InferenceColumns,
  type Message,
} from '../../protocol/index.js';
import type { SpoolEntry } from '../sink/spool-frames.js';
import {
  feedbackLine,
  inferencePointCount,
  statusLine,
  writeInferenceColumns,
  writeInferenceLines,
} from './influx-lines.js';
import { offloadLines } from './influx-offload-lines.js';
import { LineBuffer } from './line-buffer.js';
import type { ReceivedPayload } from './store.js';

const KIND_MESSAGE = 1;
const KIND_LINES = 2;
const ENCODING_CODE: Record<Encoding, number> = { cbor: 1, json: 2 };
const MESSAGE_HEAD_BYTES = 2 + 8 + 2 + 2;

/**
 * What a message entry carries in memory (SpoolEntry.memo): the message as ingest decoded it from
 * the very payload spooled, so that the writer does not decode it again (it did cost as much as
 * building the lines). Only for a payload as received: a message handed over without one is
 * encoded, and its values are rounded to the wire's resolution on the way, so it is decoded.
 */
class DecodedMessage {
  constructor(
    readonly fleet: string,
    readonly device: string,
    readonly message: Message,
  ) {}
}

/**
 * The memo of an inference batch (SpoolEntry.memo): the checked wire columns ingest decoded the
 * payload into. ~50 bytes a record, against ~250 for its records as objects, so the spool keeps
 * the memo of about five times as many records in the same memory, and the writer builds the
 * points from the columns without an object per record (writeInferenceColumns).
 */
class DecodedColumns {
  constructor(
    readonly fleet: string,
    readonly device: string,
    readonly columns: InferenceColumns,
  ) {}
}

/** Memory a memo takes, bytes a record (columns) or a line (messages), about: measured on bench:ingest's batches of 50. */
const COLUMNS_BYTES_PER_RECORD = 56;
const DECODED_BYTES_PER_LINE = 256;

/**
 * A spool entry for an accepted message: its payload as received, or — for a message handed
 * over without one (tests, tools) — its compact CBOR encoding (values at the wire's resolution).
 * `lines`: the points it becomes (for inference batches, inferencePointCount of its records).
 * `message` must be the decoding of `received.payload` when that is given.
 */
export function messageEntry(
  fleet: string,
  device: string,
  message: Message,
  received: ReceivedPayload | undefined,
): SpoolEntry {
  const lines =
    message.type === 'inference'
      ? inferencePointCount(message.records)
      : message.type === 'offload'
        ? message.records.length
        : 1;
  const payload = received?.payload ?? encodeMessage(message, 'cbor');
  const encoding = detectEncoding(payload);
  if (encoding === null)
    throw new RangeError('a spooled payload must be CBOR or JSON, as ingest accepted it');
  const fleetBytes = Buffer.from(fleet, 'utf8');
  const deviceBytes = Buffer.from(device, 'utf8');
  const bytes = Buffer.allocUnsafe(
    MESSAGE_HEAD_BYTES + fleetBytes.length + deviceBytes.length + payload.length,
  );
  let at = bytes.writeUInt8(KIND_MESSAGE, 0);
  at = bytes.writeUInt8(ENCODING_CODE[encoding], at);
  at = bytes.writeDoubleLE(
    received?.receivedUs ?? Math.round((performance.timeOrigin + performance.now()) * 1000),
    at,
  );
  at = bytes.writeUInt16LE(fleetBytes.length, at);
  at += fleetBytes.copy(bytes, at);
  at = bytes.writeUInt16LE(deviceBytes.length, at);
  at += deviceBytes.copy(bytes, at);
  bytes.set(payload, at);
  if (received === undefined) return { bytes, lines };
  if (message.type === 'inference' && received.columns !== undefined)
    return {
      bytes,
      lines,
      memo: new DecodedColumns(fleet, device, received.columns),
      memoBytes: COLUMNS_BYTES_PER_RECORD * message.records.length,
    };
  return {
    bytes,
    lines,
    memo: new DecodedMessage(fleet, device, message),
    memoBytes: DECODED_BYTES_PER_LINE * lines,
  };
}

/** A spool entry holding points already in line protocol (one per element, no newlines inside). */
export function linesEntry(points: readonly string[]): SpoolEntry {
  const text = `${points.join('\n')}\n`;
  const bytes = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
  bytes[0] = KIND_LINES;
  bytes.write(text, 1);
  return { bytes, lines: points.length };
}

/** A spool entry for line protocol read from a spool of an older version: already newline-terminated points. */
export function legacyLinesEntry(text: Uint8Array, points: number): SpoolEntry {
  const bytes = Buffer.allocUnsafe(1 + text.length);
  bytes[0] = KIND_LINES;
  bytes.set(text, 1);
  return { bytes, lines: points };
}

/** A spooled message entry taken apart (the payload is a view into the entry). */
export interface SpooledMessage extends ReceivedPayload {
  fleet: string;
  device: string;
  encoding: Encoding;
}

/** Reads a message entry's framing; undefined when the entry is not a well-formed message entry. */
export function readMessageEntry(bytes: Uint8Array): SpooledMessage | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < MESSAGE_HEAD_BYTES || b[0] !== KIND_MESSAGE) return undefined;
  const encoding = b[1] === 1 ? 'cbor' : b[1] === 2 ? 'json' : undefined;
  if (encoding === undefined) return undefined;
  const receivedUs = b.readDoubleLE(2);
  const fleetEnd = 12 + b.readUInt16LE(10);
  if (fleetEnd + 2 > b.length) return undefined;
  const deviceEnd = fleetEnd + 2 + b.readUInt16LE(fleetEnd);
  if (deviceEnd > b.length) return undefined;
  return {
    encoding,
    receivedUs,
    fleet: b.toString('utf8', 12, fleetEnd),
    device: b.toString('utf8', fleetEnd + 2, deviceEnd),
    payload: b.subarray(deviceEnd),
  };
}

/** Line protocol of a batch of entries, ready to be an HTTP body, and what could not be turned into lines. */
export interface RenderedLines {
  body: Buffer;
  lines: number;
  /** Entries refused (undecodable, or no lines could be built): their lines are dropped, the entry handed on. */
  refused: { lines: number; reason: string; bytes: Uint8Array }[];
}

/** Bytes a point takes in a body, about (one of bench:ingest's points is ~300): the first guess of a body's size. */
const POINT_BYTES_GUESS = 320;

/**
 * Builds the points of spooled entries: a message entry is decoded (the same decoder that
 * accepted it) and turned into lines by influx-lines.ts; a lines entry is sent as it is. The
 * result is the same points that building them at ingest gave, so a redelivered message still
 * overwrites its own points. The body is written as bytes straight away (line-buffer.ts): no
 * string per point, no join, no second encoding.
 */
export function renderEntries(entries: readonly SpoolEntry[]): RenderedLines {
  let guess = 0;
  for (const entry of entries) guess += entry.lines;
  const out = new LineBuffer(guess * POINT_BYTES_GUESS);
  let lines = 0;
  const refused: RenderedLines['refused'] = [];
  for (const entry of entries) {
    const kind = entry.bytes[0];
    if (kind === KIND_LINES) {
      out.bytes(entry.bytes.subarray(1));
      lines += entry.lines;
      continue;
    }
    const memo = entry.memo;
    const problem =
      kind !== KIND_MESSAGE
        ? `unknown entry kind ${kind}`
        : memo instanceof DecodedColumns
          ? writeColumns(out, memo)
          : memo instanceof DecodedMessage
            ? writeDecoded(out, memo.fleet, memo.device, memo.message)
            : writeMessage(out, entry.bytes);
    if (typeof problem === 'string') {
      refused.push({ lines: entry.lines, reason: problem, bytes: entry.bytes });
      continue;
    }
    lines += problem;
  }
  return { body: out.take(), lines, refused };
}

/** Writes an inference batch's points from its memo's columns: their count, or why it has none. */
function writeColumns(out: LineBuffer, memo: DecodedColumns): number | string {
  const start = out.length;
  try {
    return writeInferenceColumns(out, memo.fleet, memo.device, memo.columns);
  } catch (error) {
    // As for records: a point that throws half-way takes the message's points with it.
    out.truncate(start);
    return (error as Error).message;
  }
}

/** Writes a message entry's points into `out`: their count, or why it has none (nothing written then). */
function writeMessage(out: LineBuffer, bytes: Uint8Array): number | string {
  const spooled = readMessageEntry(bytes);
  if (spooled === undefined) return 'malformed message entry';
  const decoded = decodeMessage(spooled.payload);
  if (!decoded.ok) return `${decoded.error.reason}: ${decoded.error.message}`;
  return writeDecoded(out, spooled.fleet, spooled.device, decoded.value);
}

/** Writes a decoded message's points into `out`: their count, or why it has none (nothing written then). */
function writeDecoded(out: LineBuffer, fleet: string, device: string, message: Message): number | string {
  let points: string[];
  try {
    switch (message.type) {
      case 'inference': {
        // A point that throws half-way (a tag it cannot write) takes the message's points with it.
        const start = out.length;
        try {
          return writeInferenceLines(out, fleet, device, message.records);
        } catch (error) {
          out.truncate(start);
          throw error;
        }
      }
      case 'offload':
        points = offloadLines(fleet, device, message.records);
        break;
      case 'status':
        points = [statusLine(fleet, message)];
        break;
      case 'feedback':
        points = [feedbackLine(fleet, message)];
        break;
      default:
        return `a ${message.type} message has no InfluxDB points`;
    }
  } catch (error) {
    return (error as Error).message;
  }
  for (const point of points) out.utf8(`${point}\n`);
  return points.length;
}
