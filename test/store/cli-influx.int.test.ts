// `edgewatt export` and `edgewatt compare` (as real processes on the built dist/) reading fleet
// data back out of a real InfluxDB: filters on the command line, `measured` device values, and
// a clear one-line error for a database that is not there.

import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { capability, createStore, optionalCapability } from '../../collector/store/index.js';
import { type InferenceRecord, PROTOCOL_VERSION, quantizeRecord } from '../../protocol/index.js';
import { EXAMPLES } from '../lifecycle/helpers.js';
import { makeRecord, T0_US } from '../protocol/fixtures.js';
import { makeFailedOffloadRecord, makeOffloadRecord } from '../protocol/offload-fixtures.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { freePort } from '../support/ports.js';
import { runCli } from '../support/process.js';
import { tempDir } from '../support/stack.js';
import { describeWith, hasTools } from '../support/tools.js';

const MODEL = '12'.repeat(32);
const dir = tempDir('edgewatt-cli-influx-');
let influx: Influxd;
let url: string;

const record = (seq: number, energyJ: number): InferenceRecord =>
  quantizeRecord(
    makeRecord(seq, {
      energyJ,
      provenance: 'estimated',
      sensor: 'simulated:rpi4',
      modelId: MODEL,
      variant: 'cnn-base',
      correct: null,
    }),
  );

beforeAll(async () => {
  if (!hasTools('influxd')) return;
  influx = await startInfluxd();
  url = `influxdb://127.0.0.1:${influx.port}/fleet`;
  const store = createStore(url, { influxdb: { spoolDir: join(dir.path, 'spool'), flushIntervalMs: 20 } });
  const writer = capability(store, 'writeRecords');
  await store.connect();
  for (const [fleet, device] of [
    ['demo', 'pi4-kitchen'],
    ['demo', 'pi5-lab'],
  ] as const) {
    await writer.writeStatus(fleet, {
      v: PROTOCOL_VERSION,
      type: 'status',
      device,
      state: 'online',
      seq: 0,
      atUs: T0_US,
      modelId: MODEL,
      variant: 'cnn-base',
    });
    // 0.006 J, 0.007 J, 0.0065 J, then two records of a later day.
    await writer.writeBatch(fleet, device, [record(0, 0.006), record(1, 0.007), record(2, 0.0065)]);
    await writer.writeBatch(fleet, device, [
      record(3, 0.5),
      { ...record(4, 0.5), startUs: T0_US + 86_400_000_000 },
    ]);
  }
  // Offload records of pi4-kitchen between its inference records: one answered, one timed out.
  await writer.writeOffload('demo', 'pi4-kitchen', [
    makeOffloadRecord(5, { modelId: MODEL, variant: 'cnn-base', serverEnergyProvenance: 'estimated' }),
    makeFailedOffloadRecord(6, { modelId: MODEL, variant: 'cnn-base' }),
  ]);
  // The truth for the answered one (prediction 7), given later: export joins it.
  await writer.writeFeedback('demo', {
    v: PROTOCOL_VERSION,
    type: 'feedback',
    device: 'pi4-kitchen',
    seq: 5,
    label: 7,
    correct: true,
    atUs: T0_US + 60_000,
  });
  await optionalCapability(store, 'drain')?.drained();
  await store.close();
  return () => influx.remove();
}, 60_000);
afterAll(() => dir.remove());

describeWith(['influxd'], 'edgewatt export / compare reading InfluxDB', () => {
  it('export --store influxdb://… with --device and --to writes only those records', async () => {
    const to = new Date((T0_US + 30_000) / 1000).toISOString();
    const run = runCli([
      'export',
      '--store',
      url,
      '--device',
      'pi4-kitchen',
      '--to',
      to,
      '--format',
      'jsonl',
    ]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    const lines = run
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => [l.fleet, l.device, l.seq, l.energyJ, l.modelId])).toEqual([
      ['demo', 'pi4-kitchen', 0, 0.006, MODEL],
      ['demo', 'pi4-kitchen', 1, 0.007, MODEL],
      ['demo', 'pi4-kitchen', 2, 0.0065, MODEL],
    ]);
    expect(run.stderr()).toContain('exported 3 records');
  });

  it('export --kind offload writes the offload records, with the columns of their table', async () => {
    const json = runCli([
      'export',
      '--store',
      url,
      '--kind',
      'offload',
      '--format',
      'jsonl',
      '--model',
      'cnn-base',
    ]);
    expect((await json.exited).code, json.stderr()).toBe(0);
    const lines = json
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      lines.map((l) => [l.device, l.seq, l.outcome, l.serverEnergyJ, l.serverEnergyProvenance, l.modelId]),
    ).toEqual([
      ['pi4-kitchen', 5, 'ok', 0.004321, 'estimated', MODEL],
      ['pi4-kitchen', 6, 'timeout', undefined, undefined, MODEL],
    ]);
    // Feedback joined: the answered request's label and verdict; the failed one has neither.
    expect(lines.map((l) => [l.seq, l.label, l.correct])).toEqual([
      [5, 7, true],
      [6, undefined, null],
    ]);
    expect(json.stderr()).toContain('exported 2 offload records');
    const csv = runCli(['export', '--store', url, '--kind', 'offload', '--device', 'pi5-lab']);
    expect((await csv.exited).code, csv.stderr()).toBe(0);
    const [header, ...rows] = csv.stdout().trim().split('\n');
    expect(header).toMatch(
      /^fleet,device,seq,startUs,modelId,variant,.*,socketBytesSent,socketBytesReceived,outcome,.*,serverEnergyJ,.*,label,receivedUs,correct$/,
    );
    expect(rows).toEqual([]);
  });

  it('export --from takes µs since the epoch too, as export prints startUs', async () => {
    const run = runCli([
      'export',
      '--store',
      url,
      '--from',
      String(T0_US + 86_400_000_000),
      '--format',
      'csv',
    ]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    expect(run.stdout().trim().split('\n')).toHaveLength(1 + 2); // header, one record per device
  });

  it('compare reads `measured` values from InfluxDB, narrowed by --to', async () => {
    const run = runCli([
      'compare',
      '--scenario',
      join(EXAMPLES, 'pi4-measured.yaml'),
      '--store',
      url,
      '--to',
      String(T0_US + 30_000),
    ]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    expect(run.stdout()).toContain('measured: 3 records of demo/pi4-kitchen');
    expect(run.stdout()).toMatch(/store-estimate:\n\s+device\.energyJ = 0\.006500/);
  });

  it('compare takes the offload side from the same device’s offload records, and names the server energy ESTIMATED', async () => {
    const run = runCli(['compare', '--scenario', join(EXAMPLES, 'pi4-measured.yaml'), '--store', url]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    expect(run.stdout()).toContain('measured offload: 1 answered of 2 offload records of demo/pi4-kitchen');
    expect(run.stdout()).toContain('server energy ESTIMATED (dc-fra-1)');
    // The example gives the server's energy itself: it wins, and the output says what it overrode.
    expect(run.stdout()).toContain(
      "datacenter.energyJ is given in the scenario (0.00833), so the store's 0.004321",
    );
    expect(run.stdout()).toMatch(
      /measured offload records \(ina219\):\n\s+network\.uplinkUJPerBit = 0\.000 — store: 1 answered offload records/,
    );
  });

  it("export --skip-first drops the first records of each device and model (a run's warm-up)", async () => {
    const run = runCli(['export', '--store', url, '--skip-first', '2', '--format', 'jsonl']);
    expect((await run.exited).code, run.stderr()).toBe(0);
    const lines = run
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => [l.device, l.seq])).toEqual([
      ['pi4-kitchen', 2],
      ['pi4-kitchen', 3],
      ['pi4-kitchen', 4],
      ['pi5-lab', 2],
      ['pi5-lab', 3],
      ['pi5-lab', 4],
    ]);
    expect(run.stderr()).toContain('exported 6 records (skipped the first 2 of each device and model: 4)');
    const bad = runCli(['export', '--store', url, '--skip-first', '-1']);
    expect((await bad.exited).code).toBe(1);
    expect(bad.stderr()).toContain('--skip-first: must be ≥ 0');
  });

  it('compare --skip-first leaves the first records out of the measured means, and says so', async () => {
    const run = runCli([
      'compare',
      '--scenario',
      join(EXAMPLES, 'pi4-measured.yaml'),
      '--store',
      url,
      '--to',
      String(T0_US + 30_000),
      '--skip-first',
      '1',
    ]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    expect(run.stdout()).toContain('measured: 2 records of demo/pi4-kitchen, model');
    expect(run.stdout()).toContain('(first 1 skipped)');
    // (0.007 + 0.0065) / 2, the first record (0.006 J) left out
    expect(run.stdout()).toMatch(/store-estimate:\n\s+device\.energyJ = 0\.006750/);
  });

  it('a database that does not exist is one line naming it, not a stack trace', async () => {
    const run = runCli(['export', '--store', `influxdb://127.0.0.1:${influx.port}/nothere`]);
    expect((await run.exited).code).not.toBe(0);
    expect(run.stderr()).toContain('no database "nothere"');
    expect(run.stderr()).not.toMatch(/\n\s+at /);
  });

  it('an InfluxDB that does not answer is one line naming the store', async () => {
    const run = runCli(['export', '--store', `influxdb://127.0.0.1:${await freePort()}/fleet`]);
    expect((await run.exited).code).not.toBe(0);
    expect(run.stderr()).toMatch(/cannot reach the store at influxdb:\/\/127\.0\.0\.1:\d+\/fleet/);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
  });

  it('a bad --from is refused with the accepted forms', async () => {
    const run = runCli(['export', '--store', url, '--from', 'yesterday']);
    expect((await run.exited).code).not.toBe(0);
    expect(run.stderr()).toContain('--from: "yesterday" is not a time');
  });
});
