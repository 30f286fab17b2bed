// Encode and decode messages. The payload says its own encoding, because MQTT 3.1.1 (the
// embedded broker) has no content type: CBOR payloads start with the self-described CBOR tag
// 55799 (bytes d9 d9 f7, RFC 8949 §3.4.6); JSON payloads are a JSON object (first byte `{`).

import { Decoder, Encoder } from 'cbor-x';
import { fail, type Result } from '../errors.js';
import { MAX_PAYLOAD_BYTES } from '../limits.js';
import type { Message, TopicPayloads } from '../messages.js';
import { cborShapeProblem } from './cbor-shape.js';
import { type DecodeDetail, fromWire, toWire } from './wire.js';

export type { RecordCursor } from './columnar.js';
export { type DecodeDetail, type InferenceColumns, inferenceCursor } from './wire.js';

export type Encoding = 'cbor' | 'json';
export const ENCODINGS: readonly Encoding[] = ['cbor', 'json'];

const CBOR_MAGIC = Uint8Array.of(0xd9, 0xd9, 0xf7);
const OPEN_BRACE = 0x7b;

// Plain CBOR maps with text keys and minimal-length headers: no cbor-x record extension, so any
// CBOR library (a microcontroller's included) can read and write these payloads.
const cborEncoder = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
// int64AsNumber: a 64-bit integer head (how any encoder writes integers ≥ 2^32, such as start
// times in µs) decodes to a number, not a BigInt; the schema then refuses anything past 2^53.
// The option is in cbor-x 1.6 but not in its typings, hence the widened object.
const decoderOptions: ConstructorParameters<typeof Decoder>[0] & { int64AsNumber: boolean } = {
  useRecords: false,
  mapsAsObjects: true,
  int64AsNumber: true,
};
const cborDecoder = new Decoder(decoderOptions);

const UINT32_LIMIT = 2 ** 32;

/**
 * cbor-x writes integers of 2^32 and beyond as float64; CBOR has 64-bit integers for them, and a
 * strictly typed decoder (a C struct on a microcontroller) expects one. BigInts make cbor-x use
 * the integer head, at the same 9 bytes.
 */
function withLargeIntegersAsBigInt(value: unknown): unknown {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && (value >= UINT32_LIMIT || value < -UINT32_LIMIT)
      ? BigInt(value)
      : value;
  }
  if (Array.isArray(value)) return value.map(withLargeIntegersAsBigInt);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, withLargeIntegersAsBigInt(item)]),
    );
  }
  return value;
}

/** Encodes a message; throws ProtocolError('invalid') if the message breaks the contract. */
export function encodeMessage(message: Message, encoding: Encoding = 'cbor'): Uint8Array {
  const wire = toWire(message);
  if (encoding === 'json') return new TextEncoder().encode(JSON.stringify(wire));
  const body = cborEncoder.encode(withLargeIntegersAsBigInt(wire));
  const payload = new Uint8Array(CBOR_MAGIC.length + body.length);
  payload.set(CBOR_MAGIC, 0);
  payload.set(body, CBOR_MAGIC.length);
  return payload;
}

/** Which encoding a payload declares, or null if it declares none we know. */
export function detectEncoding(payload: Uint8Array): Encoding | null {
  if (payload.length >= 3 && payload[0] === 0xd9 && payload[1] === 0xd9 && payload[2] === 0xf7) return 'cbor';
  for (const byte of payload) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === OPEN_BRACE ? 'json' : null;
  }
  return null;
}

/**
 * Decodes untrusted bytes into a message; never throws. With `detail`, also hands back the checked
 * wire object of an inference batch (DecodeDetail), for a caller that keeps the batch in memory.
 */
export function decodeMessage(payload: Uint8Array, detail?: DecodeDetail): Result<Message> {
  if (payload.length === 0) return fail('empty', 'payload is empty');
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return fail(
      'too-large',
      `payload is ${payload.length} bytes; the limit is ${MAX_PAYLOAD_BYTES}: send smaller batches`,
    );
  }
  const encoding = detectEncoding(payload);
  if (encoding === null) {
    const head = Buffer.from(payload.subarray(0, 4)).toString('hex');
    return fail(
      'unknown-encoding',
      `payload starts with bytes ${head}: expected the CBOR self-describe tag d9d9f7 or a JSON object`,
    );
  }
  if (encoding === 'cbor') {
    // Tags, odd simple values and deep nesting are refused before cbor-x builds anything.
    const problem = cborShapeProblem(payload.subarray(CBOR_MAGIC.length));
    if (problem !== null) return fail('malformed', `cbor payload cannot be parsed: ${problem}`);
  }
  let value: unknown;
  try {
    value =
      encoding === 'cbor'
        ? cborDecoder.decode(payload.subarray(CBOR_MAGIC.length))
        : JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (error) {
    return fail('malformed', `${encoding} payload cannot be parsed: ${(error as Error).message}`);
  }
  try {
    return fromWire(value, detail);
  } catch (error) {
    // fromWire is written not to throw; this is the boundary's last guard.
    return fail('invalid', `payload could not be checked: ${(error as Error).message}`);
  }
}

/** Decodes a payload that must be of one kind (the topic's). */
export function decodeAs<K extends keyof TopicPayloads>(
  kind: K,
  payload: Uint8Array,
  detail?: DecodeDetail,
): Result<TopicPayloads[K]> {
  const decoded = decodeMessage(payload, detail);
  if (!decoded.ok) return decoded;
  if (decoded.value.type !== kind) {
    if (detail !== undefined) detail.columns = undefined;
    return fail('topic-mismatch', `payload is a ${decoded.value.type} message on a ${kind} topic`);
  }
  return decoded as Result<TopicPayloads[K]>;
}
