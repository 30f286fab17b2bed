// Offload records in the stores without servers: the SQLite table added to a file made before it
// existed, de-duplication on (fleet, device, seq), and the InfluxDB points built from the table
// (tags, typed fields, the timestamp rule of records) with their tags bounded like records'.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { offloadLine } from '../../collector/store/influx-offload-lines.js';
import { TagGuard, TagRefusedError } from '../../collector/store/influx-tags.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { INFERENCE_SCHEMA } from '../../collector/store/sqlite-inference.js';
import type { StoredOffloadRecord } from '../../collector/store/store.js';
import { MODEL_ID } from '../protocol/fixtures.js';
import { makeFailedOffloadRecord, makeOffloadRecord } from '../protocol/offload-fixtures.js';
import { tempDir } from '../support/stack.js';

const dir = tempDir('edgewatt-offload-store-');
afterAll(() => dir.remove());

async function all(store: SqliteStore): Promise<StoredOffloadRecord[]> {
  const out: StoredOffloadRecord[] = [];
  for await (const r of store.readOffload()) out.push(r);
  return out;
}

describe('the SQLite offload table', () => {
  it('is added to a file made before offload records existed; read-only, such a file reads as none', async () => {
    const path = join(dir.path, 'old.sqlite');
    const old = new Database(path);
    old.exec(INFERENCE_SCHEMA);
    old.close();
    const readOnly = new SqliteStore(path, { readOnly: true });
    await readOnly.connect();
    expect(await all(readOnly)).toEqual([]);
    expect(await readOnly.countOffload()).toBe(0);
    await readOnly.close();

    const store = new SqliteStore(path);
    await store.connect();
    const records = [makeOffloadRecord(7), makeFailedOffloadRecord(8, { fallback: 'edge' })];
    expect(await store.writeOffload('lab', 'pi', records)).toEqual({ inserted: 2, duplicates: 0 });
    expect(await store.writeOffload('lab', 'pi', records.slice(1))).toEqual({ inserted: 0, duplicates: 1 });
    // The same seq on another device, or in another fleet, is another record.
    expect(await store.writeOffload('field', 'pi', records.slice(1))).toEqual({ inserted: 1, duplicates: 0 });
    const back = await all(store);
    expect(back.map(({ receivedUs: _, ...r }) => r)).toEqual([
      { ...records[1], fleet: 'field', device: 'pi' },
      { ...records[0], fleet: 'lab', device: 'pi' },
      { ...records[1], fleet: 'lab', device: 'pi' },
    ]);
    expect(back[2]).not.toHaveProperty('serverEnergyJ');
    expect(await store.countOffload({ fleet: 'lab' })).toBe(2);
    await store.close();
  });

  it("counts offload records in the device's highest seq (its one seq space), the answer to its birth", async () => {
    const store = new SqliteStore(join(dir.path, 'seq.sqlite'));
    await store.connect();
    expect(await store.highestSeq('lab', 'pi')).toBeNull();
    await store.writeOffload('lab', 'pi', [makeOffloadRecord(41)]);
    expect(await store.highestSeq('lab', 'pi')).toBe(41);
    expect(await store.highestSeq('lab', 'other')).toBeNull();
    await store.close();
  });
});

describe('InfluxDB points of offload records', () => {
  it('tags fleet, device, model (16 hex), variant, experiment, arm, server and outcome; the rest are typed fields', () => {
    const line = offloadLine(
      'lab',
      'pi4 a',
      makeOffloadRecord(1042, { experiment: 'e1', arm: 'dense-offload' }),
    );
    const [tags, fields, time] = line.split(/(?<!\\) /);
    expect(tags).toBe(
      `offload,arm=dense-offload,device=pi4\\ a,experiment=e1,fleet=lab,model=${MODEL_ID.slice(0, 16)},outcome=ok,server=dc-fra-1,variant=dense`,
    );
    expect(fields?.split(',')).toEqual([
      'seq=1042i',
      'round_trip_s=0.023456',
      'device_energy_j=0.061234567',
      'device_energy_uncertainty_j=0.000812',
      'device_baseline_w=2.7125',
      'energy_provenance="measured"',
      'sensor="ina219"',
      'request_bytes=3136i',
      'response_bytes=412i',
      'socket_bytes_sent=3391i',
      'socket_bytes_received=598i',
      'http_status=200i',
      'fallback="none"',
      'policy="fixed"',
      'prediction=7i',
      'server_region="DE"',
      'server_pue_class="hyperscale"',
      'server_energy_j=0.004321',
      'server_energy_uncertainty_j=0.0009',
      'server_idle_share_j=0.0123',
      'server_energy_provenance="rapl"',
      'server_batch_size=4i',
      'server_latency_s=0.011',
    ]);
    // start (µs) × 1000 + seq mod 1000, as inference points: a redelivery overwrites its point.
    expect(time).toBe(`${makeOffloadRecord(1042).startUs}042`);
  });

  it('leaves the server tag and fields out of a failed request', () => {
    const line = offloadLine('lab', 'pi', makeFailedOffloadRecord(5, { outcome: 'unreachable' }));
    expect(line).toContain(',outcome=unreachable,');
    expect(line).not.toMatch(/server|prediction|http_status/);
  });

  it('bounds the server id like other device-sent tags, naming the field and value', () => {
    const guard = new TagGuard({ maxChars: 64, maxValuesPerDevice: 2, maxValuesPerTag: 100 });
    guard.checkOffload('lab', 'pi', [
      makeOffloadRecord(1, { serverId: 'dc-1' }),
      makeOffloadRecord(2, { serverId: 'dc-2' }),
    ]);
    expect(() => guard.checkOffload('lab', 'pi', [makeOffloadRecord(3, { serverId: 'dc-3' })])).toThrow(
      /serverId "dc-3" would be device lab\/pi's 3th distinct server tag value/,
    );
    expect(() => guard.checkOffload('lab', 'pi', [makeOffloadRecord(4, { serverId: 'dc\n1' })])).toThrow(
      TagRefusedError,
    );
  });
});
