// The InfluxDB store against a real influxd started by the test: typed fields, records read back
// equal, redelivery overwrites, comparisons written, and an outage (stopped server, or a
// collector that dies with data in its spool) loses nothing. The spool keeps the payloads as
// received, and a spool left by the previous version (line protocol) is written after the upgrade.

import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { Ingest } from '../../collector/ingest/ingest.js';
import { InfluxStore } from '../../collector/store/influx.js';
import { inferenceLines } from '../../collector/store/influx-lines.js';
import { encodeMessage, type InferenceRecord } from '../../protocol/index.js';
import { makeBatch, makeRecord, T0_US } from '../protocol/fixtures.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith, hasTools } from '../support/tools.js';
import { SAMPLE_COMPARISON } from './fixtures.js';

const hasInfluxd = hasTools('influxd');

const dir = tempDir('edgewatt-influx-store-');
let influx: Influxd;

beforeAll(async () => {
  if (!hasInfluxd) return;
  influx = await startInfluxd();
  return async () => {
    await influx.remove();
    dir.remove();
  };
}, 60_000);

function store(db: string, spool = db): InfluxStore {
  return new InfluxStore(`127.0.0.1:${influx.port}/${db}`, {
    spoolDir: join(dir.path, spool),
    flushIntervalMs: 50,
    batchLines: 100,
    retryMaxMs: 300,
  });
}

const records = (from: number, n: number): InferenceRecord[] =>
  Array.from({ length: n }, (_, i) => makeRecord(from + i, { correct: i % 3 === 0 ? null : i % 2 === 0 }));

async function count(db: string): Promise<number> {
  const series = await influx.query(db, 'SELECT count("seq") FROM "inference"');
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

describeWith(['influxd'], 'InfluxDB store (real influxd)', () => {
  it('stores records with fixed field types, and reads them back equal', async () => {
    const s = store('types');
    await s.connect();
    // A batched-window record too, and the tensor sizes change at seq 20 (a new model input).
    const sent = records(0, 25).map((r) =>
      r.seq >= 20
        ? { ...r, inputBytes: 6272, outputBytes: 80 }
        : r.seq === 5
          ? { ...r, method: 'batched' as const, windowInferences: 20 }
          : r,
    );
    await s.writeBatch('lab', 'pi4-a', sent);
    await s.drained();
    const fields = await influx.query('types', 'SHOW FIELD KEYS FROM "inference"');
    const types = Object.fromEntries((fields[0]?.values ?? []).map((v) => [v[0], v[1]]));
    expect(types).toEqual({
      seq: 'integer',
      duration_us: 'integer',
      energy_j: 'float',
      energy_uncertainty_j: 'float',
      baseline_w: 'float',
      sample_count: 'integer',
      window_inferences: 'integer',
      correct: 'integer',
    });
    const ioFields = await influx.query('types', 'SHOW FIELD KEYS FROM "inference_io"');
    expect(Object.fromEntries((ioFields[0]?.values ?? []).map((v) => [v[0], v[1]]))).toEqual({
      batch_size: 'integer',
      input_bytes: 'integer',
      output_bytes: 'integer',
      first_seq: 'integer',
      records: 'integer',
    });
    // Every record's tensor sizes are those of the io run that holds its seq.
    const io = await influx.query(
      'types',
      'SELECT "first_seq", "records", "batch_size", "input_bytes", "output_bytes" FROM "inference_io"',
    );
    const runs = (io[0]?.values ?? []).map((v) => v.slice(1) as number[]);
    expect(runs).toEqual([
      [0, 20, 1, sent[0]?.inputBytes, sent[0]?.outputBytes],
      [20, 5, 1, 6272, 80],
    ]);
    const energy = await influx.query(
      'types',
      'SELECT "energy_j" - "baseline_w" * "duration_us" / 1000000 AS "above_idle_j" FROM "inference" WHERE "device" = \'pi4-a\'',
    );
    const aboveIdle = (energy[0]?.values ?? []).map((v) => v[1] as number);
    aboveIdle.forEach((j, i) => {
      const r = sent[i] as InferenceRecord;
      expect(j).toBeCloseTo(r.energyJ - (r.baselineW * r.durationUs) / 1e6, 12);
    });
    const rows = await influx.query(
      'types',
      'SELECT "seq", "duration_us", "energy_j", "baseline_w", "correct" FROM "inference" WHERE "device" = \'pi4-a\'',
    );
    const back = (rows[0]?.values ?? []).map((v) => ({
      seq: v[1],
      durationUs: v[2],
      energyJ: v[3],
      baselineW: v[4],
      correct: v[5] === null ? null : v[5] === 1,
    }));
    expect(back).toEqual(
      sent.map((r) => ({
        seq: r.seq,
        durationUs: r.durationUs,
        energyJ: r.energyJ,
        baselineW: r.baselineW,
        correct: r.correct,
      })),
    );
    await s.close();
  });

  it('stores a redelivered batch once, and two records that start in the same microsecond twice', async () => {
    const s = store('redelivery');
    await s.connect();
    const batch = records(100, 10).map((r) => ({ ...r, startUs: T0_US }));
    await s.writeBatch('lab', 'pi4-b', batch);
    await s.writeBatch('lab', 'pi4-b', batch);
    await s.writeBatch('lab', 'pi4-b', batch.slice(3, 7));
    await s.drained();
    expect(await count('redelivery')).toBe(10);
    await s.close();
  });

  it('stores records handed over directly with gaps in their seqs (not one wire batch)', async () => {
    const s = store('gaps');
    await s.connect();
    await s.writeBatch('lab', 'pi4-g', [makeRecord(1), makeRecord(5), makeRecord(9)]);
    await s.drained();
    const rows = await influx.query('gaps', 'SELECT "seq" FROM "inference"');
    expect((rows[0]?.values ?? []).map((v) => v[1])).toEqual([1, 5, 9]);
    await s.close();
  });

  it('writes life-cycle comparison results that read back field by field', async () => {
    const s = store('comparison');
    await s.connect();
    await s.writeComparison([
      SAMPLE_COMPARISON,
      { ...SAMPLE_COMPARISON, variant: 'pruned-50', breakEvenPerS: null },
    ]);
    await s.drained();
    const rows = await influx.query(
      'comparison',
      'SELECT "edge_g_co2e", "offload_g_co2e_high", "p_edge_wins", "break_even_per_s", "samples" FROM "comparison" GROUP BY "variant"',
    );
    const byVariant = Object.fromEntries(rows.map((r) => [r.tags?.variant, r.values[0]?.slice(1)]));
    expect(byVariant).toEqual({
      dense: [0.0021, 0.0081, 0.87, 0.35, 10_000],
      'pruned-50': [0.0021, 0.0081, 0.87, null, 10_000],
    });
    await s.close();
  });

  it('keeps accepting while InfluxDB is stopped, and writes everything once it is back', async () => {
    const s = store('outage');
    await s.connect();
    await s.writeBatch('lab', 'pi4-c', records(0, 50));
    await s.drained();
    await influx.stop();
    for (let i = 1; i < 6; i++) await s.writeBatch('lab', 'pi4-c', records(i * 50, 50));
    await waitFor('failed writes', () => s.sinkStats.retries >= 2, 30_000);
    expect(s.sinkStats.pendingLines).toBe(5 * 51); // 50 record points + 1 inference_io point per batch
    await influx.start();
    await s.drained();
    expect(await count('outage')).toBe(300);
    expect(s.sinkStats.dropped).toBe(0);
    await s.close();
  }, 60_000);

  it('writes what a dead collector left in its spool when the next one starts on it', async () => {
    const first = store('crash', 'crash-spool');
    await first.connect();
    await influx.stop();
    await first.writeBatch('lab', 'pi4-d', records(0, 40));
    // The first store's writer stops while InfluxDB is down, leaving its spool as SIGKILL would
    // (records on disk, checkpoint not past them). Left running, it could write them itself as
    // soon as InfluxDB is back, before the second store opens the spool.
    await first.runtime.close(0);
    await influx.start();
    const second = store('crash', 'crash-spool');
    await second.connect();
    expect(second.sinkStats.recovered).toBeGreaterThanOrEqual(40);
    await second.drained();
    expect(await count('crash')).toBe(40);
    await second.close();
  }, 40_000);

  it('spools the MQTT payloads as received (a few bytes a record), and writes them after a crash', async () => {
    const spoolDir = join(dir.path, 'wire-spool');
    const first = store('wire', 'wire-spool');
    await first.connect();
    await influx.stop();
    const ingest = new Ingest(first);
    for (let b = 0; b < 4; b++) {
      const batch = makeBatch(records(b * 50, 50), 'pi4-e');
      const outcome = await ingest.handle('edgewatt/v1/lab/pi4-e/inference', encodeMessage(batch, 'cbor'));
      expect(outcome.kind).toBe('stored');
    }
    // Acknowledged means durable: the spool files hold the 200 records, at ~the payload's size.
    const spoolBytes = readdirSync(spoolDir)
      .filter((n) => n.endsWith('.spool2'))
      .reduce((sum, n) => sum + statSync(join(spoolDir, n)).size, 0);
    const payloadBytes = encodeMessage(makeBatch(records(0, 50), 'pi4-e')).length;
    expect(spoolBytes).toBeGreaterThan(0);
    expect(spoolBytes).toBeLessThanOrEqual(4 * (payloadBytes + 64));
    // Its writer stops while InfluxDB is down: the spool stays as SIGKILL would leave it (see above).
    await first.runtime.close(0);
    await influx.start();
    const second = store('wire', 'wire-spool');
    await second.connect();
    expect(second.sinkStats.recovered).toBe(4 * 51);
    await second.drained();
    expect(await count('wire')).toBe(200);
    expect(second.sinkStats).toMatchObject({ written: 4 * 51, dropped: 0 });
    await second.close();
  }, 40_000);

  it('writes after the upgrade what a spool of the previous version (line protocol) still held', async () => {
    // A spool as the previous version left it: two segments of line protocol, a checkpoint after
    // the first 10 records (already in InfluxDB then), an empty line and a NUL-torn line from a
    // crash, and a torn last line.
    const spoolDir = join(dir.path, 'v1-spool');
    mkdirSync(spoolDir, { recursive: true });
    const text = (from: number, n: number) =>
      `${inferenceLines('lab', 'pi4-f', records(from, n)).join('\n')}\n`;
    const head = text(0, 10);
    writeFileSync(join(spoolDir, '0000000003.spool'), head + text(10, 20));
    writeFileSync(
      join(spoolDir, '0000000004.spool'),
      `${text(30, 30)}\ntorn\0\0\n${text(60, 5)}inference,device=pi4-f half a li`,
    );
    writeFileSync(
      join(spoolDir, 'checkpoint.json'),
      JSON.stringify({ segment: 3, offset: Buffer.byteLength(head) }),
    );
    const s = store('upgrade', 'v1-spool');
    await s.connect();
    await s.drained();
    expect(await count('upgrade')).toBe(55);
    const seqs = await influx.query('upgrade', 'SELECT "seq" FROM "inference"');
    expect((seqs[0]?.values ?? []).map((v) => v[1])).toEqual(Array.from({ length: 55 }, (_, i) => 10 + i));
    expect(s.sinkStats).toMatchObject({ dropped: 0, pendingLines: 0 });
    // The old files are gone; the new spool took over.
    const files = readdirSync(spoolDir);
    expect(files.filter((n) => n.endsWith('.spool') || n === 'checkpoint.json')).toEqual([]);
    expect(files.some((n) => n.endsWith('.spool2'))).toBe(true);
    await s.close();
    // Started again, nothing is left to write.
    const again = store('upgrade', 'v1-spool');
    await again.connect();
    expect(again.sinkStats.recovered).toBe(0);
    await again.close();
  }, 40_000);
});
