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
  type Message,
} from '../../protocol/index.js';
import type { SpoolEntry } from '../sink/spool-frames.js';
import { feedbackLine, inferenceLines, inferencePointCount, statusLine } from './influx-lines.js';
import { offloadLines } from './influx-offload-lines.js';
import type { ReceivedPayload } from './store.js';

const KIND_MESSAGE = 1;
const KIND_LINES = 2;
const ENCODING_CODE: Record<Encoding, number> = { cbor: 1, json: 2 };
const MESSAGE_HEAD_BYTES = 2 + 8 + 2 + 2;

/**
 * A spool entry for an accepted message: its payload as received, or — for a message handed
 * over without one (tests, tools) — its compact CBOR encoding (values at the wire's resolution).
 * `lines`: the points it becomes (for inference batches, inferencePointCount of its records).
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
  return { bytes, lines };
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

/**
 * Builds the points of spooled entries: a message entry is decoded (the same decoder that
 * accepted it) and turned into lines by influx-lines.ts; a lines entry is sent as it is. The
 * result is the same points that building them at ingest gave, so a redelivered message still
 * overwrites its own points.
 */
export function renderEntries(entries: readonly SpoolEntry[]): RenderedLines {
  const texts: string[] = [];
  let lines = 0;
  const refused: RenderedLines['refused'] = [];
  for (const entry of entries) {
    const kind = entry.bytes[0];
    if (kind === KIND_LINES) {
      texts.push(
        Buffer.from(entry.bytes.buffer, entry.bytes.byteOffset + 1, entry.bytes.byteLength - 1).toString(
          'utf8',
        ),
      );
      lines += entry.lines;
      continue;
    }
    const rendered =
      kind === KIND_MESSAGE ? messageLines(entry.bytes) : { error: `unknown entry kind ${kind}` };
    if ('error' in rendered) {
      refused.push({ lines: entry.lines, reason: rendered.error, bytes: entry.bytes });
      continue;
    }
    texts.push(`${rendered.points.join('\n')}\n`);
    lines += rendered.points.length;
  }
  return { body: Buffer.from(texts.join(''), 'utf8'), lines, refused };
}

function messageLines(bytes: Uint8Array): { points: string[] } | { error: string } {
  const spooled = readMessageEntry(bytes);
  if (spooled === undefined) return { error: 'malformed message entry' };
  const decoded = decodeMessage(spooled.payload);
  if (!decoded.ok) return { error: `${decoded.error.reason}: ${decoded.error.message}` };
  const message = decoded.value;
  try {
    switch (message.type) {
      case 'inference':
        return { points: inferenceLines(spooled.fleet, spooled.device, message.records) };
      case 'offload':
        return { points: offloadLines(spooled.fleet, spooled.device, message.records) };
      case 'status':
        return { points: [statusLine(spooled.fleet, message)] };
      case 'feedback':
        return { points: [feedbackLine(spooled.fleet, message)] };
      default:
        return { error: `a ${message.type} message has no InfluxDB points` };
    }
  } catch (error) {
    return { error: (error as Error).message };
  }
}
