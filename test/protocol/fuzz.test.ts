// Deterministic fuzzing of the decoder: random bytes and random mutations of valid payloads must
// never make decodeMessage throw, and must end in either a message or a ProtocolError with a known
// reason. The seeds are fixed, so a failure reproduces; the failing input is printed as hex.

import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  type Encoding,
  encodeMessage,
  type Message,
  ProtocolError,
} from '../../protocol/index.js';
import { fullStatus, KNOWN_REASONS, makeBatch, mulberry32, toHex, varyingRecords } from './fixtures.js';

type Outcome = { ok: true; value: Message } | { ok: false; reason: string };

/** Decodes and classifies; records any throw or unknown failure in `problems`. */
function classify(payload: Uint8Array, problems: string[]): Outcome | null {
  try {
    const result = decodeMessage(payload);
    if (result.ok) return { ok: true, value: result.value };
    if (!(result.error instanceof ProtocolError) || !KNOWN_REASONS.includes(result.error.reason)) {
      problems.push(`unknown failure ${String(result.error?.reason)} for ${toHex(payload)}`);
      return null;
    }
    return { ok: false, reason: result.error.reason };
  } catch (error) {
    problems.push(`threw ${(error as Error).message} for ${toHex(payload)}`);
    return null;
  }
}

function randomBytes(rnd: () => number, maxLength: number): Uint8Array {
  const bytes = new Uint8Array(Math.floor(rnd() * (maxLength + 1)));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rnd() * 256);
  return bytes;
}

/** Applies 1 to 4 random edits: flip a bit, delete a byte, insert a byte, or overwrite a byte. */
function mutate(rnd: () => number, source: Uint8Array): Uint8Array {
  const bytes = Array.from(source);
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (bytes.length + 1));
    const op = Math.floor(rnd() * 4);
    if (op === 0 && at < bytes.length) bytes[at] = (bytes[at] ?? 0) ^ (1 << Math.floor(rnd() * 8));
    else if (op === 1 && at < bytes.length) bytes.splice(at, 1);
    else if (op === 2) bytes.splice(at, 0, Math.floor(rnd() * 256));
    else if (at < bytes.length) bytes[at] = Math.floor(rnd() * 256);
  }
  return Uint8Array.from(bytes);
}

function tally(outcomes: (Outcome | null)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = outcome === null ? 'problem' : outcome.ok ? 'ok' : outcome.reason;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('decodeMessage under fuzzing', () => {
  it('never throws on 2,000 random byte strings, with and without an encoding prefix', () => {
    const rnd = mulberry32(0x5eed_0001);
    const problems: string[] = [];
    const outcomes = Array.from({ length: 2_000 }, (_, i) => {
      const body = randomBytes(rnd, 80);
      const prefix = i % 3 === 0 ? [0xd9, 0xd9, 0xf7] : i % 3 === 1 ? [0x7b] : [];
      const payload = new Uint8Array(prefix.length + body.length);
      payload.set(prefix, 0);
      payload.set(body, prefix.length);
      return classify(payload, problems);
    });
    expect(problems).toEqual([]);
    const counts = tally(outcomes);
    expect(counts.malformed).toBeGreaterThan(0);
    expect(counts['unknown-encoding']).toBeGreaterThan(0);
  });

  it.each([
    ['cbor', 0x5eed_0002],
    ['json', 0x5eed_0003],
  ] as const)('never throws on 2,000 mutations of a valid %s batch and status', (encoding, seed) => {
    const rnd = mulberry32(seed);
    const sources = [
      encodeMessage(makeBatch(varyingRecords(4, seed)), encoding as Encoding),
      encodeMessage(fullStatus(), encoding as Encoding),
    ];
    const problems: string[] = [];
    const outcomes = Array.from({ length: 2_000 }, (_, i) =>
      classify(mutate(rnd, sources[i % 2] ?? new Uint8Array(0)), problems),
    );
    expect(problems).toEqual([]);
    const counts = tally(outcomes);
    // The mutations reach past the parser into the schema, and some leave a valid message.
    expect(counts.malformed).toBeGreaterThan(0);
    expect(counts.invalid).toBeGreaterThan(0);
    expect(counts.ok).toBeGreaterThan(0);
  });

  it('re-encodes every accepted mutant to a payload that decodes to the same message', () => {
    const rnd = mulberry32(0x5eed_0004);
    const sources = (['cbor', 'json'] as const).map((encoding) =>
      encodeMessage(makeBatch(varyingRecords(4, 4)), encoding),
    );
    const problems: string[] = [];
    let accepted = 0;
    for (let i = 0; i < 1_000; i++) {
      const outcome = classify(mutate(rnd, sources[i % 2] ?? new Uint8Array(0)), problems);
      if (outcome?.ok !== true) continue;
      accepted++;
      for (const encoding of ['cbor', 'json'] as const) {
        expect(decodeMessage(encodeMessage(outcome.value, encoding))).toEqual({
          ok: true,
          value: outcome.value,
        });
      }
    }
    expect(problems).toEqual([]);
    expect(accepted).toBeGreaterThan(0);
  });
});
