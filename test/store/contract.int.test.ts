// The store contract: the same tests over every registered store driver, each against the real
// thing (a SQLite file in a temp dir, an influxd started here). Stores are made through the
// registry, as the CLI makes them: write a batch, drop redeliveries, keep device status, read
// records back equal (quantized), apply every filter, write comparisons, declare capabilities.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonResult } from '../../collector/lifecycle/comparison-result.js';
import {
  type Capability,
  capability,
  createStore,
  optionalCapability,
  parseStoreUrl,
  type RecordFilter,
  readAccuracySummary,
  readLabelledOffload,
  readLabelledRecords,
  recordMatches,
  STORE_DRIVERS,
  type Store,
  StoreCapabilityError,
  type StoredOffloadRecord,
  type StoredRecord,
  type StoreOptions,
} from '../../collector/store/index.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import {
  type InferenceRecord,
  type OffloadRecord,
  PROTOCOL_VERSION,
  quantizeOffloadRecord,
  quantizeRecord,
  RECORD_FIELD_LIST,
  type StatusMessage,
} from '../../protocol/index.js';
import { SAMPLE_COMPARISON } from '../deploy/fixtures.js';
import { makeRecord, T0_US } from '../protocol/fixtures.js';
import { makeFailedOffloadRecord, makeOffloadRecord } from '../protocol/offload-fixtures.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { tempDir } from '../support/stack.js';
import { describeWith, type Tool } from '../support/tools.js';

/** How the suite reaches one kind of store: a fresh one per test, and a look at its comparisons. */
interface Harness {
  scheme: string;
  /** Programs it runs (missing: skipped on a workstation, a failure under CI). */
  tools: Tool[];
  capabilities: readonly Capability[];
  setup(): Promise<void>;
  teardown(): Promise<void>;
  url(name: string): string;
  options(name: string): StoreOptions;
  /** (variant, p_edge_wins, break_even_per_s) of every stored comparison, by variant. */
  comparisons(name: string): Promise<[string, number, number | null][]>;
}

const dir = tempDir('edgewatt-store-contract-');
let influx: Influxd | undefined;

const HARNESSES: Harness[] = [
  {
    scheme: 'sqlite',
    tools: [],
    capabilities: ['writeRecords', 'readRecords', 'readOffload', 'writeComparisons'],
    setup: async () => {},
    teardown: async () => {},
    url: (name) => `sqlite:${join(dir.path, `${name}.sqlite`)}`,
    options: () => ({}),
    async comparisons(name) {
      const store = new SqliteStore(join(dir.path, `${name}.sqlite`), { readOnly: true });
      await store.connect();
      const rows = store
        .comparisons()
        .map((c): [string, number, number | null] => [c.variant, c.probabilityEdgeWins, c.breakEvenPerS]);
      await store.close();
      return rows.sort();
    },
  },
  {
    scheme: 'influxdb',
    tools: ['influxd'],
    capabilities: [
      'writeRecords',
      'readRecords',
      'readOffload',
      'writeComparisons',
      'drain',
      'writeDeployments',
    ],
    async setup() {
      influx = await startInfluxd();
    },
    async teardown() {
      await influx?.remove();
    },
    url: (name) => `influxdb://127.0.0.1:${influx?.port}/${name}`,
    options: (name) => ({
      influxdb: {
        spoolDir: join(dir.path, `spool-${name}`),
        flushIntervalMs: 20,
        fsync: false,
        retryMaxMs: 300,
      },
    }),
    async comparisons(name) {
      const series = await (influx as Influxd).query(
        name,
        'SELECT "variant", "p_edge_wins", "break_even_per_s" FROM "comparison"',
      );
      return (series[0]?.values ?? []).map((v) => v.slice(1) as [string, number, number | null]).sort();
    },
  },
];

const MODEL_A = 'a1'.repeat(32);
/** Shares its first 8 characters with MODEL_A, not its first 16 (InfluxDB's model tag). */
const MODEL_B = `a1a1a1a1${'b2'.repeat(28)}`;

/** A fleet's worth: two fleets, a device name in both, two models, io sizes that change mid-batch. */
function dataset(): { fleet: string; device: string; records: InferenceRecord[] }[] {
  const mixed = (seq: number, overrides: Partial<InferenceRecord> = {}) =>
    quantizeRecord(
      makeRecord(seq, {
        modelId: MODEL_A,
        energyJ: 0.01 + seq * 0.000_123_457,
        correct: seq % 3 === 0 ? null : seq % 2 === 0,
        ...overrides,
      }),
    );
  return [
    {
      fleet: 'lab',
      device: 'pi4-a',
      records: Array.from({ length: 30 }, (_, seq) =>
        mixed(seq, {
          // An experiment: arm dense-edge, then from seq 15 (new io sizes too) arm pruned-edge.
          experiment: 'e1',
          arm: seq >= 15 ? 'pruned-edge' : 'dense-edge',
          placement: 'edge' as const,
          ...(seq >= 15 ? { inputBytes: 6_272, outputBytes: 80, batchSize: 4 } : {}),
          ...(seq === 7 ? { method: 'batched' as const, windowInferences: 20 } : {}),
          ...(seq === 8 ? { method: 'single' as const } : {}),
        }),
      ),
    },
    {
      fleet: 'lab',
      device: 'pi4-b',
      records: Array.from({ length: 20 }, (_, i) =>
        mixed(100 + i, {
          modelId: MODEL_B,
          variant: 'pruned-50',
          sensor: 'simulated:rpi4',
          provenance: 'estimated',
          experiment: 'e1',
          arm: 'pruned-edge',
        }),
      ),
    },
    { fleet: 'field', device: 'pi4-a', records: Array.from({ length: 10 }, (_, seq) => mixed(seq)) },
  ];
}

/** Offload records of two devices in two fleets: answered and failed, two models, an experiment. */
function offloadDataset(): { fleet: string; device: string; records: OffloadRecord[] }[] {
  const answered = (seq: number, overrides: Partial<OffloadRecord> = {}) =>
    quantizeOffloadRecord(
      makeOffloadRecord(seq, {
        modelId: MODEL_A,
        deviceEnergyJ: 0.05 + seq * 0.000_123_457,
        serverEnergyJ: 0.004 + seq * 0.000_01,
        ...overrides,
      }),
    );
  return [
    {
      fleet: 'lab',
      device: 'pi4-a',
      // Offload records take seqs between the device's inference records (its one seq space).
      records: Array.from({ length: 12 }, (_, i) =>
        i % 4 === 3
          ? makeFailedOffloadRecord(200 + i, {
              modelId: MODEL_A,
              outcome: 'http-error',
              httpStatus: 502,
              fallback: 'edge',
              experiment: 'e1',
              arm: 'dense-offload',
            })
          : answered(200 + i, { experiment: 'e1', arm: 'dense-offload' }),
      ),
    },
    {
      fleet: 'field',
      device: 'pi4-a',
      records: Array.from({ length: 6 }, (_, i) =>
        answered(300 + i, {
          // The input's own true class (a labelled dataset), on some records.
          ...(i % 2 === 0 ? { label: i } : {}),
          modelId: MODEL_B,
          variant: 'pruned-50',
          serverEnergyProvenance: 'estimated',
          serverId: 'dc-2',
        }),
      ),
    },
  ];
}

const status = (
  device: string,
  state: 'online' | 'offline',
  seq: number,
  extra: Partial<StatusMessage> = {},
) =>
  ({ v: PROTOCOL_VERSION, type: 'status', device, state, seq, atUs: T0_US + seq, ...extra }) as StatusMessage;

const key = (r: { fleet: string; device: string; seq: number }) => `${r.fleet}/${r.device}/${r.seq}`;

/** A record as every store must give it back: the table's meaning for absent optional fields. */
function normalised(r: InferenceRecord & { fleet: string; device: string; receivedUs?: number }) {
  const { receivedUs: _, ...rest } = r;
  const out: Record<string, unknown> = { ...rest };
  for (const f of RECORD_FIELD_LIST)
    if (out[f.name] === undefined && f.absent !== undefined) out[f.name] = f.absent;
  return out;
}

async function collect(records: AsyncIterable<StoredRecord>): Promise<StoredRecord[]> {
  const all: StoredRecord[] = [];
  for await (const r of records) all.push(r);
  return all;
}

afterAll(() => dir.remove());

for (const h of HARNESSES) {
  describeWith(h.tools, `store contract: ${h.scheme}`, () => {
    let n = 0;
    /** A fresh store through the registry, connected. */
    const open = async (readOnly = false): Promise<{ store: Store; name: string }> => {
      const name = `c${++n}`;
      const store = createStore(h.url(name), { ...h.options(name), readOnly });
      if (!readOnly) await store.connect();
      return { store, name };
    };
    const settle = async (store: Store) => {
      await optionalCapability(store, 'drain')?.drained();
    };

    beforeAll(async () => {
      await h.setup();
      return () => h.teardown();
    }, 60_000);

    it('declares its capabilities, and refuses the others naming the store and what to use', async () => {
      const { store } = await open();
      expect(parseStoreUrl(store.url).driver.capabilities).toEqual(h.capabilities);
      for (const c of [
        'writeRecords',
        'readRecords',
        'readOffload',
        'writeComparisons',
        'drain',
        'writeDeployments',
      ] as const) {
        if (h.capabilities.includes(c)) expect(capability(store, c)).toBe(store);
        else {
          expect(() => capability(store, c, '--store')).toThrow(StoreCapabilityError);
          expect(() => capability(store, c, '--store')).toThrow(`--store ${store.url}: this store cannot`);
        }
      }
      await store.close();
    });

    describe('with a fleet written', () => {
      const data = dataset();
      const written = data.flatMap(({ fleet, device, records }) =>
        records.map((r) => ({ ...r, fleet, device })),
      );
      let store: Store;
      let name: string;

      beforeAll(async () => {
        ({ store, name } = await open());
        const writer = capability(store, 'writeRecords');
        for (const { fleet, device, records } of data) {
          await writer.writeStatus(
            fleet,
            status(device, 'online', records[0]?.seq ?? 0, {
              board: 'rpi4',
              sensor: records[0]?.sensor,
              backend: 'wasm',
              modelId: records[0]?.modelId,
              variant: records[0]?.variant,
              agentVersion: '0.1.0',
            }),
          );
          // Two messages, split where the io sizes do not change, and a redelivery of both.
          await writer.writeBatch(fleet, device, records.slice(0, 10));
          await writer.writeBatch(fleet, device, records.slice(10));
          await writer.writeBatch(fleet, device, records.slice(0, 10));
          await writer.writeBatch(fleet, device, records.slice(5, 25));
        }
        // The last will of one device: few fields, the rest stays as the birth gave it.
        await writer.writeStatus('lab', status('pi4-b', 'offline', 120));
        await settle(store);
        await store.close();
        // Read as export and compare do: a second, read-only store on the same data.
        ({ store } = { store: createStore(h.url(name), { ...h.options(`${name}-read`), readOnly: true }) });
        await store.connect();
        return () => store.close();
      }, 60_000);

      it('says the highest seq stored per fleet and device (the answer to a birth), null for none', async () => {
        const writer = capability(store, 'writeRecords');
        expect(await writer.highestSeq('lab', 'pi4-a')).toBe(29);
        expect(await writer.highestSeq('lab', 'pi4-b')).toBe(119);
        expect(await writer.highestSeq('field', 'pi4-a')).toBe(9);
        expect(await writer.highestSeq('lab', 'pi4-nobody')).toBeNull();
        expect(await writer.highestSeq('nowhere', 'pi4-a')).toBeNull();
      });

      it('stores each (fleet, device, seq) once, however often it was delivered', async () => {
        const reader = capability(store, 'readRecords');
        expect(await reader.countRecords()).toBe(60);
        const keys = (await collect(reader.readRecords())).map(key);
        expect(new Set(keys).size).toBe(60);
      });

      it('reads back records equal to those written (quantized), grouped by fleet and device', async () => {
        const back = await collect(capability(store, 'readRecords').readRecords());
        expect(back.map((r) => `${r.fleet}/${r.device}`)).toEqual([
          ...Array(10).fill('field/pi4-a'),
          ...Array(30).fill('lab/pi4-a'),
          ...Array(20).fill('lab/pi4-b'),
        ]);
        const sorted = (rs: typeof written) => [...rs].sort((a, b) => key(a).localeCompare(key(b)));
        expect(sorted(back).map(normalised)).toEqual(sorted(written).map(normalised));
      });

      const FILTERS: [string, RecordFilter, number][] = [
        ['fleet', { fleet: 'field' }, 10],
        ['device (in both fleets)', { device: 'pi4-a' }, 40],
        ['fleet and device', { fleet: 'lab', device: 'pi4-a' }, 30],
        ['model by full id', { model: MODEL_B }, 20],
        [
          'model by a 20-character prefix (longer than the InfluxDB tag)',
          { model: MODEL_A.slice(0, 20) },
          40,
        ],
        ['model by an 8-character prefix both ids share', { model: MODEL_A.slice(0, 8) }, 60],
        ['model by variant', { model: 'pruned-50' }, 20],
        ['from (inclusive)', { fromUs: T0_US + 10 * 10_000 }, 20 + 20],
        ['to (exclusive)', { toUs: T0_US + 10 * 10_000 }, 10 + 10],
        [
          'from and to, one device',
          { device: 'pi4-a', fleet: 'lab', fromUs: T0_US + 12 * 10_000, toUs: T0_US + 17 * 10_000 },
          5,
        ],
        ['experiment', { experiment: 'e1' }, 50],
        ['arm', { arm: 'pruned-edge' }, 15 + 20],
        ['experiment, arm and device', { experiment: 'e1', arm: 'dense-edge', device: 'pi4-a' }, 15],
        ['an experiment nobody ran', { experiment: 'e2' }, 0],
        ['nothing matches', { device: 'pi4-z' }, 0],
      ];
      for (const [what, filter, expected] of FILTERS) {
        it(`filters by ${what}`, async () => {
          const reader = capability(store, 'readRecords');
          const back = await collect(reader.readRecords(filter));
          const reference = written.filter((r) => recordMatches(r, filter));
          expect(reference).toHaveLength(expected);
          expect(back.map(key).sort()).toEqual(reference.map(key).sort());
          expect(await reader.countRecords(filter)).toBe(expected);
        });
      }

      it('summarises per device and model, with the last status of each device', async () => {
        const summary = await capability(store, 'readRecords').readSummary({ fleet: 'lab' });
        expect(summary.map((s) => [s.device, s.variant, s.inferences, s.state, s.board])).toEqual([
          ['pi4-a', 'dense', 30, 'online', 'rpi4'],
          ['pi4-b', 'pruned-50', 20, 'offline', 'rpi4'],
        ]);
        const b = written.filter((r) => r.device === 'pi4-b');
        const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
        expect(summary[1]?.meanEnergyJ).toBeCloseTo(mean(b.map((r) => r.energyJ)), 12);
        expect(summary[1]?.meanMarginalEnergyJ).toBeCloseTo(
          mean(b.map((r) => r.energyJ - (r.baselineW * r.durationUs) / 1e6)),
          12,
        );
        expect(summary[1]?.modelId).toBe(MODEL_B);
      });

      it('keeps the last status per device, and what the birth said that the last will did not', async () => {
        const devices = await capability(store, 'readRecords').readDevices({ fleet: 'lab' });
        expect(
          devices.map((d) => [d.device, d.state, d.statusSeq, d.sensor, d.modelId, d.agentVersion]),
        ).toEqual([
          ['pi4-a', 'online', 0, 'ina219', MODEL_A, '0.1.0'],
          ['pi4-b', 'offline', 120, 'simulated:rpi4', MODEL_B, '0.1.0'],
        ]);
      });
    });

    describe('with offload records written', () => {
      const data = offloadDataset();
      const written = data.flatMap(({ fleet, device, records }) =>
        records.map((r) => ({ ...r, fleet, device })),
      );
      let store: Store;

      beforeAll(async () => {
        const opened = await open();
        const writer = capability(opened.store, 'writeRecords');
        for (const { fleet, device, records } of data) {
          await writer.writeStatus(fleet, status(device, 'online', 0, { modelId: records[0]?.modelId }));
          // Two messages and a redelivery of one.
          await writer.writeOffload(fleet, device, records.slice(0, 4));
          await writer.writeOffload(fleet, device, records.slice(4));
          await writer.writeOffload(fleet, device, records.slice(0, 4));
        }
        await settle(opened.store);
        await opened.store.close();
        store = createStore(h.url(opened.name), { ...h.options(`${opened.name}-read`), readOnly: true });
        await store.connect();
        return () => store.close();
      }, 60_000);

      it('reads back each (fleet, device, seq) once, equal to what was written', async () => {
        const reader = capability(store, 'readOffload');
        const back: StoredOffloadRecord[] = [];
        for await (const r of reader.readOffload()) back.push(r);
        expect(back.map((r) => `${r.fleet}/${r.device}`)).toEqual([
          ...Array(6).fill('field/pi4-a'),
          ...Array(12).fill('lab/pi4-a'),
        ]);
        const strip = ({ receivedUs: _, ...r }: (typeof back)[number]) => r;
        const sorted = <T extends { fleet: string; device: string; seq: number }>(rs: T[]) =>
          [...rs].sort((a, b) => key(a).localeCompare(key(b)));
        expect(sorted(back).map(strip)).toEqual(sorted(written));
        expect(await reader.countOffload()).toBe(18);
        // Inference records are another table / measurement: none were written here.
        expect(await capability(store, 'readRecords').countRecords()).toBe(0);
      });

      const FILTERS: [string, RecordFilter, number][] = [
        ['fleet', { fleet: 'field' }, 6],
        ['device (in both fleets)', { device: 'pi4-a' }, 18],
        [
          'model by a 20-character prefix (longer than the InfluxDB tag)',
          { model: MODEL_A.slice(0, 20) },
          12,
        ],
        ['model by variant', { model: 'pruned-50' }, 6],
        ['from and to', { fromUs: T0_US + 204 * 10_000, toUs: T0_US + 302 * 10_000 }, 8 + 2],
        ['experiment and arm', { experiment: 'e1', arm: 'dense-offload' }, 12],
        ['nothing matches', { device: 'pi4-z' }, 0],
      ];
      for (const [what, filter, expected] of FILTERS) {
        it(`filters offload records by ${what}`, async () => {
          const reader = capability(store, 'readOffload');
          const back: StoredOffloadRecord[] = [];
          for await (const r of reader.readOffload(filter)) back.push(r);
          const reference = written.filter((r) => recordMatches(r, filter));
          expect(reference).toHaveLength(expected);
          expect(back.map(key).sort()).toEqual(reference.map(key).sort());
          expect(await reader.countOffload(filter)).toBe(expected);
        });
      }
    });

    it("says the highest seq, not the newest point's, when the device clock went back (either kind)", async () => {
      const { store } = await open();
      const writer = capability(store, 'writeRecords');
      // Seqs 3 and 4 were made while the board's clock ran a minute fast; 20 and 30 after it was set
      // right, so the newest points in time are the older seqs.
      const back = T0_US - 60_000_000;
      await writer.writeBatch('lab', 'clock', [quantizeRecord(makeRecord(3))]);
      await writer.writeOffload('lab', 'clock', [makeOffloadRecord(4)]);
      await writer.writeBatch('lab', 'clock', [quantizeRecord(makeRecord(20, { startUs: back + 200 }))]);
      await writer.writeOffload('lab', 'clock', [makeOffloadRecord(30, { startUs: back + 300 })]);
      await settle(store);
      expect(await writer.highestSeq('lab', 'clock')).toBe(30);
      await store.close();
    });

    it('joins feedback to its records: label, verdict, the last feedback wins, before or after its record', async () => {
      const { store, name } = await open();
      const writer = capability(store, 'writeRecords');
      const feedback = (device: string, seq: number, label: number, correct: boolean, atUs: number) =>
        writer.writeFeedback('lab', {
          v: PROTOCOL_VERSION,
          type: 'feedback',
          device,
          seq,
          label,
          correct,
          atUs,
        });
      // Feedback for seq 2 arrives before its record; seq 3 is labelled twice (the later one wins).
      await feedback('pi4-a', 2, 4, true, T0_US + 1_000);
      const records = Array.from({ length: 6 }, (_, seq) =>
        quantizeRecord(makeRecord(seq, { energyJ: 0.01 * (seq + 1), correct: null })),
      );
      await writer.writeBatch('lab', 'pi4-a', records);
      await writer.writeBatch('lab', 'pi4-b', records.slice(0, 2));
      await feedback('pi4-a', 3, 1, true, T0_US + 2_000);
      await feedback('pi4-a', 3, 7, false, T0_US + 3_000);
      await feedback('pi4-a', 5, 9, true, T0_US + 4_000);
      // Same seq on another device: joined to that device's record only.
      await feedback('pi4-b', 0, 0, false, T0_US + 5_000);
      await settle(store);
      await store.close();
      const reader = capability(
        createStore(h.url(name), { ...h.options(`${name}-r`), readOnly: true }),
        'readRecords',
      );
      await reader.connect();
      const joined: [string, number, number | null, boolean | null][] = [];
      for await (const r of readLabelledRecords(reader)) joined.push([r.device, r.seq, r.label, r.correct]);
      expect(joined).toEqual([
        ['pi4-a', 0, null, null],
        ['pi4-a', 1, null, null],
        ['pi4-a', 2, 4, true],
        ['pi4-a', 3, 7, false],
        ['pi4-a', 4, null, null],
        ['pi4-a', 5, 9, true],
        ['pi4-b', 0, 0, false],
        ['pi4-b', 1, null, null],
      ]);
      const a = (await readAccuracySummary(reader, { device: 'pi4-a' }))[0];
      // Energies 0.01 … 0.06 J: mean 0.035 J; 2 of 3 judged answers right.
      expect(a).toMatchObject({ inferences: 6, judged: 3, correct: 2 });
      expect(a?.accuracy).toBeCloseTo(2 / 3, 12);
      expect(a?.energyPerCorrectJ).toBeCloseTo(0.035 / (2 / 3), 9);
      const b = (await readAccuracySummary(reader, { device: 'pi4-b' }))[0];
      expect(b).toMatchObject({ judged: 1, correct: 0, accuracy: 0, energyPerCorrectJ: null });
      await reader.close();
    });

    it('joins feedback to offload records in the shared seq space, judging the stored prediction', async () => {
      const { store, name } = await open();
      const writer = capability(store, 'writeRecords');
      const feedback = (seq: number, label: number, correct: boolean, atUs: number) =>
        writer.writeFeedback('lab', {
          v: PROTOCOL_VERSION,
          type: 'feedback',
          device: 'pi4-o',
          seq,
          label,
          correct,
          atUs,
        });
      // One seq space: edge records 0 and 1, an answered offload at 2 (prediction 7), a failed
      // offload at 3 that fell back to the edge (its edge record, the answer the client got, at 4),
      // an answered offload at 5 (prediction 1), a failed one without fallback at 6.
      await writer.writeBatch(
        'lab',
        'pi4-o',
        [0, 1].map((seq) => quantizeRecord(makeRecord(seq, { correct: null }))),
      );
      await writer.writeOffload('lab', 'pi4-o', [
        quantizeOffloadRecord(makeOffloadRecord(2, { prediction: 7 })),
        makeFailedOffloadRecord(3, { outcome: 'http-error', httpStatus: 502, fallback: 'edge' }),
      ]);
      await writer.writeBatch('lab', 'pi4-o', [quantizeRecord(makeRecord(4, { correct: null }))]);
      await writer.writeOffload('lab', 'pi4-o', [
        quantizeOffloadRecord(makeOffloadRecord(5, { prediction: 1 })),
        makeFailedOffloadRecord(6),
        // Labels the agent knew as it sent the input: judged without feedback; feedback wins.
        quantizeOffloadRecord(makeOffloadRecord(7, { prediction: 2, label: 2 })),
        quantizeOffloadRecord(makeOffloadRecord(8, { prediction: 2, label: 2 })),
      ]);
      // Feedback for the offload at 2 arrives before a second (later, winning) one; the fallback's
      // label names the edge record at 4; the one at 5 claims "correct" though 1 ≠ 3 (a third-party
      // publisher): the stored prediction decides. Seq 6 got no answer: labelled, not judged.
      await feedback(2, 4, false, T0_US + 1_000);
      await feedback(2, 7, true, T0_US + 2_000);
      await feedback(4, 5, true, T0_US + 3_000);
      await feedback(5, 3, true, T0_US + 4_000);
      await feedback(6, 0, false, T0_US + 5_000);
      await feedback(8, 9, false, T0_US + 6_000);
      await settle(store);
      await store.close();
      const reader = createStore(h.url(name), { ...h.options(`${name}-r`), readOnly: true });
      await reader.connect();
      const offload: [number, number | null, boolean | null][] = [];
      for await (const r of readLabelledOffload(
        capability(reader, 'readOffload'),
        capability(reader, 'readRecords'),
        { device: 'pi4-o' },
      ))
        offload.push([r.seq, r.label ?? null, r.correct]);
      expect(offload).toEqual([
        [2, 7, true],
        [3, null, null],
        [5, 3, false],
        [6, 0, null],
        [7, 2, true],
        [8, 9, false],
      ]);
      const edge: [number, number | null, boolean | null][] = [];
      for await (const r of readLabelledRecords(capability(reader, 'readRecords'), { device: 'pi4-o' }))
        edge.push([r.seq, r.label, r.correct]);
      expect(edge).toEqual([
        [0, null, null],
        [1, null, null],
        [4, 5, true],
      ]);
      await reader.close();
    });

    it('writes comparison results; the same point written again overwrites it', async () => {
      const { store, name } = await open();
      const writer = capability(store, 'writeComparisons');
      const other: ComparisonResult = { ...SAMPLE_COMPARISON, variant: 'pruned-50', breakEvenPerS: null };
      await writer.writeComparison([SAMPLE_COMPARISON, other]);
      await writer.writeComparison([{ ...other, probabilityEdgeWins: 0.5 }]);
      await settle(store);
      await store.close();
      expect(await h.comparisons(name)).toEqual([
        ['dense', 0.87, 0.35],
        ['pruned-50', 0.5, null],
      ]);
    });

    it('streams a device with more records than one read chunk', async () => {
      const { store } = await open();
      const total = 12_000;
      const writer = capability(store, 'writeRecords');
      for (let first = 0; first < total; first += 1000) {
        const batch = Array.from({ length: 1000 }, (_, i) =>
          makeRecord(first + i, { inputBytes: first < total / 2 ? 100 : 200 }),
        );
        await writer.writeBatch('lab', 'busy', batch);
      }
      await settle(store);
      let seq = 0;
      for await (const r of capability(store, 'readRecords').readRecords({ device: 'busy' })) {
        expect(r.seq).toBe(seq);
        expect(r.inputBytes).toBe(seq < total / 2 ? 100 : 200);
        seq++;
      }
      expect(seq).toBe(total);
      await store.close();
    }, 60_000);
  });
}

describe('the contract covers every registered store', () => {
  it('has a harness for each driver of the registry', () => {
    expect(STORE_DRIVERS.map((d) => d.scheme).sort()).toEqual(HARNESSES.map((h) => h.scheme).sort());
  });
});
