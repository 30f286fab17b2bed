// The fuzz corpus, shared by test/fuzz/ and bench/fuzz.bench.ts: a seeded stream of (topic,
// payload) cases — random bytes, byte-level mutations of valid payloads, structure-level
// mutations (a field set to a hostile value, removed or added) and valid messages. Deterministic:
// the same seed gives the same cases, so a failure reproduces.

import { Encoder } from 'cbor-x';
import { buildTopic, encodeMessage, type InferenceRecord, type StatusMessage } from '../../protocol/index.js';
import { hostilePayloads } from './hostile.js';

export type CaseKind = 'random' | 'mutated-bytes' | 'mutated-fields' | 'valid' | 'hostile';

export interface FuzzCase {
  kind: CaseKind;
  topic: string;
  payload: Uint8Array;
}

/** Deterministic PRNG in [0, 1) (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One case in this many is a red-team payload. */
const HOSTILE_EVERY = 250;
const DEVICES = Array.from({ length: 40 }, (_, i) => `fuzz-${String(i).padStart(2, '0')}`);
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
const HOSTILE: unknown[] = [
  -1,
  0,
  1.5,
  2 ** 53,
  -(2 ** 63),
  1e308,
  Number.NaN,
  'NaN',
  '',
  'x'.repeat(5000),
  null,
  true,
  [],
  [1, 2, 3],
  {},
  { nested: { deeper: [null] } },
  '../../etc/passwd',
  '\u0000\uffff',
];
const WIRE_KEYS = [
  'v',
  'type',
  'device',
  'seq',
  'startUs',
  'durationUs',
  'energyNJ',
  'energyUncertaintyNJ',
  'baselineUW',
  'sampleCount',
  'provenance',
  'sensor',
  'modelId',
  'variant',
  'backend',
  'batchSize',
  'inputBytes',
  'outputBytes',
  'correct',
  'state',
  'atUs',
  'birth',
];

export function* fuzzCases(count: number, seed = 0xf022_2026): Generator<FuzzCase> {
  const rnd = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const seqs = new Map<string, number>();

  const record = (seq: number, i: number): InferenceRecord => ({
    seq,
    startUs: 1_763_700_000_000_000 + seq * 100_000 + Math.floor(rnd() * 1000),
    durationUs: 1 + Math.floor(rnd() * 50_000),
    energyJ: Math.floor(rnd() * 1e8) / 1e9,
    energyUncertaintyJ: Math.floor(rnd() * 1e6) / 1e9,
    baselineW: Math.floor(rnd() * 1e7) / 1e6,
    sampleCount: Math.floor(rnd() * 20),
    provenance: rnd() < 0.5 ? 'measured' : 'estimated',
    sensor: pick(['ina219', 'simulated:rpi4', 'rapl']),
    modelId: 'ab'.repeat(32),
    variant: pick(['dense', 'pruned-50']),
    backend: pick(['wasm', 'cpu']),
    batchSize: 1 + (i % 4),
    inputBytes: 3136,
    outputBytes: 40,
    correct: pick([true, false, null]),
  });

  const valid = (): { topic: string; payload: Uint8Array; device: string } => {
    const device = pick(DEVICES);
    const encoding = rnd() < 0.7 ? 'cbor' : 'json';
    if (rnd() < 0.15) {
      const status: StatusMessage = {
        v: 1,
        type: 'status',
        device,
        state: rnd() < 0.5 ? 'online' : 'offline',
        seq: seqs.get(device) ?? 0,
        atUs: 1_763_700_000_000_000,
        board: 'rpi4',
        birth: Math.floor(rnd() * 10),
      };
      return {
        device,
        topic: buildTopic({ fleet: 'fuzz', device, kind: 'status' }),
        payload: encodeMessage(status, encoding),
      };
    }
    const first = seqs.get(device) ?? 0;
    const n = 1 + Math.floor(rnd() * 50);
    seqs.set(device, first + n);
    const records = Array.from({ length: n }, (_, i) => record(first + i, i));
    return {
      device,
      topic: buildTopic({ fleet: 'fuzz', device, kind: 'inference' }),
      payload: encodeMessage({ v: 1, type: 'inference', device, records }, encoding),
    };
  };

  const randomTopic = (device: string): string =>
    pick([
      buildTopic({ fleet: 'fuzz', device, kind: 'inference' }),
      buildTopic({ fleet: 'fuzz', device: pick(DEVICES), kind: 'inference' }),
      buildTopic({ fleet: 'fuzz', device, kind: 'status' }),
      `edgewatt/v1/fuzz/${device}/power`,
      `edgewatt/v2/fuzz/${device}/inference`,
      'edgewatt/v1/+/#',
      '',
    ]);

  // The red-team payloads (test/fuzz/hostile.ts), one in every HOSTILE_EVERY cases, in turn. They
  // take no random numbers, so the other cases are the same stream as without them.
  const hostile = hostilePayloads(DEVICES[0] as string);
  for (let n = 0; n < count; n++) {
    if (n % HOSTILE_EVERY === HOSTILE_EVERY - 1) {
      const [, payload] = hostile[Math.floor(n / HOSTILE_EVERY) % hostile.length] as [string, Uint8Array];
      yield {
        kind: 'hostile',
        topic: buildTopic({ fleet: 'fuzz', device: DEVICES[0] as string, kind: 'inference' }),
        payload,
      };
      continue;
    }
    const roll = rnd();
    if (roll < 0.2) {
      const length = Math.floor(rnd() * (rnd() < 0.05 ? 4096 : 200));
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = Math.floor(rnd() * 256);
      const prefix = pick([[0xd9, 0xd9, 0xf7], [0x7b], [0x20, 0x7b], []]);
      const payload = new Uint8Array(prefix.length + length);
      payload.set(prefix, 0);
      payload.set(bytes, prefix.length);
      const device = pick(DEVICES);
      yield {
        kind: 'random',
        topic: rnd() < 0.8 ? buildTopic({ fleet: 'fuzz', device, kind: 'inference' }) : randomTopic(device),
        payload,
      };
    } else if (roll < 0.6) {
      const base = valid();
      const bytes = Array.from(base.payload);
      const edits = 1 + Math.floor(rnd() * 6);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * (bytes.length + 1));
        const op = Math.floor(rnd() * 5);
        if (op === 0 && at < bytes.length) bytes[at] = (bytes[at] ?? 0) ^ (1 << Math.floor(rnd() * 8));
        else if (op === 1 && at < bytes.length) bytes.splice(at, 1 + Math.floor(rnd() * 8));
        else if (op === 2) bytes.splice(at, 0, Math.floor(rnd() * 256));
        else if (op === 3)
          bytes.length = Math.max(0, at - 1); // truncation
        else if (at < bytes.length) bytes[at] = Math.floor(rnd() * 256);
      }
      yield {
        kind: 'mutated-bytes',
        topic: rnd() < 0.9 ? base.topic : randomTopic(base.device),
        payload: Uint8Array.from(bytes),
      };
    } else if (roll < 0.85) {
      const base = valid();
      const text = new TextDecoder().decode(
        encodeMessage(
          { v: 1, type: 'inference', device: base.device, records: [record(seqs.get(base.device) ?? 0, 0)] },
          'json',
        ),
      );
      const object = JSON.parse(text) as Record<string, unknown>;
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        const key = pick(WIRE_KEYS);
        const op = rnd();
        if (op < 0.6) object[key] = pick(HOSTILE);
        else if (op < 0.8) delete object[key];
        else object[`extra${Math.floor(rnd() * 10)}`] = pick(HOSTILE);
      }
      let payload: Uint8Array;
      if (rnd() < 0.5) {
        payload = new TextEncoder().encode(JSON.stringify(object));
      } else {
        const body = cbor.encode(object);
        payload = new Uint8Array(body.length + 3);
        payload.set([0xd9, 0xd9, 0xf7], 0);
        payload.set(body, 3);
      }
      yield { kind: 'mutated-fields', topic: rnd() < 0.9 ? base.topic : randomTopic(base.device), payload };
    } else {
      const base = valid();
      yield { kind: 'valid', topic: base.topic, payload: base.payload };
    }
  }
}
