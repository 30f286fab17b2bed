// The offload dashboard against a real InfluxDB: offload records of two devices (answered by a
// RAPL-measured and by an ESTIMATED server, timed out, refused, fallen back to the edge) go through
// the InfluxDB store; the measurement has exactly the tags of the contract and one type per field;
// every panel query runs as Grafana sends it, with the variables at All and narrowed to one device,
// and returns what was written.

import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InfluxStore } from '../../collector/store/influx.js';
import { buildDashboards } from '../../dashboards/index.js';
import type { OffloadRecord } from '../../protocol/index.js';
import { makeFailedOffloadRecord, makeOffloadRecord } from '../protocol/offload-fixtures.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';
import { ALL_VARIABLES, panelQueries, substituteMacros } from './panels.js';

const DB = 'edgewatt';

describeWith(['influxd'], 'offload dashboard (real influxd)', () => {
  const dir = tempDir('edgewatt-offload-dash-');
  const t0Ms = Date.now() - 600_000;
  const at = (i: number) => (t0Ms + i * 10_000) * 1000;
  let influx: Influxd;

  /** pi-a: 6 answered by dc-rapl (1 J device, 0.2 J server), a timeout, a 429 that fell back to the edge. */
  const piA: OffloadRecord[] = [
    ...Array.from({ length: 6 }, (_, i) =>
      makeOffloadRecord(10 + i, {
        startUs: at(i),
        deviceEnergyJ: 1,
        serverEnergyJ: 0.2,
        serverId: 'dc-rapl',
      }),
    ),
    makeFailedOffloadRecord(16, { startUs: at(6), outcome: 'timeout' }),
    makeFailedOffloadRecord(17, { startUs: at(7), outcome: 'refused', httpStatus: 429, fallback: 'edge' }),
  ];
  /** pi-b: 4 answered by an estimated server. */
  const piB: OffloadRecord[] = Array.from({ length: 4 }, (_, i) =>
    makeOffloadRecord(30 + i, {
      startUs: at(i),
      serverId: 'dc-est',
      serverEnergyProvenance: 'estimated',
      serverRegion: 'FR',
      serverEnergyJ: 0.5,
    }),
  );
  const dashboard = buildDashboards().find((d) => d.path.endsWith('edgewatt-offload.json'));
  const range = { fromMs: t0Ms - 60_000, toMs: t0Ms + 300_000 };
  const run = async (query: string, variables = ALL_VARIABLES) =>
    influx.query(DB, substituteMacros(query, range, variables));

  beforeAll(async () => {
    influx = await startInfluxd();
    const store = new InfluxStore(`127.0.0.1:${influx.port}/${DB}`, {
      spoolDir: join(dir.path, 'spool'),
      flushIntervalMs: 50,
    });
    await store.connect();
    await store.writeOffload('lab', 'pi-a', piA);
    await store.writeOffload('lab', 'pi-b', piB);
    await store.drained();
    await store.close();
  }, 60_000);
  afterAll(async () => {
    await influx?.remove();
    dir.remove();
  });

  it('writes measurement offload with the tags of the contract and one type per field', async () => {
    const tags = await influx.query(DB, 'SHOW TAG KEYS FROM "offload"');
    expect((tags[0]?.values ?? []).map((v) => v[0]).sort()).toEqual([
      'device',
      'fleet',
      'model',
      'outcome',
      'server',
      'variant',
    ]);
    const fields = await influx.query(DB, 'SHOW FIELD KEYS FROM "offload"');
    const types = Object.fromEntries((fields[0]?.values ?? []).map((v) => [v[0], v[1]]));
    expect(types).toMatchObject({
      seq: 'integer',
      round_trip_s: 'float',
      device_energy_j: 'float',
      request_bytes: 'integer',
      socket_bytes_sent: 'integer',
      energy_provenance: 'string',
      server_energy_j: 'float',
      server_energy_provenance: 'string',
      server_batch_size: 'integer',
    });
  });

  it('answers every panel query with the variables at All and narrowed to one device', async () => {
    const queries = panelQueries(dashboard?.json ?? {});
    expect(queries.length).toBe(6);
    for (const variables of [ALL_VARIABLES, { ...ALL_VARIABLES, device: 'pi-a' }]) {
      const empty: string[] = [];
      for (const q of queries) {
        const series = await run(q.query, variables);
        if (!series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null))))
          empty.push(`${q.panel}: ${q.query}`);
      }
      expect(empty, variables.device).toEqual([]);
    }
  });

  it('counts outcomes and fallbacks, and keeps each server’s energy with its provenance', async () => {
    const query = (title: string) => {
      const found = panelQueries(dashboard?.json ?? {}).find((q) => q.panel === title);
      if (found === undefined) throw new Error(`no panel ${title}`);
      return found.query;
    };
    const total = (series: Awaited<ReturnType<typeof run>>) =>
      series.reduce((sum, s) => sum + s.values.reduce((n, row) => n + Number(row[1] ?? 0), 0), 0);
    const outcomes = await run(query('Outcomes'));
    expect(Object.fromEntries(outcomes.map((s) => [s.tags?.outcome, total([s])]))).toEqual({
      ok: 10,
      refused: 1,
      timeout: 1,
    });
    expect(total(await run(query('Fallbacks to the edge')))).toBe(1);
    const servers = await run(query('Servers: energy and where it came from'));
    const row = (server: string) => {
      const s = servers.find((x) => x.tags?.server === server);
      return Object.fromEntries((s?.columns ?? []).map((c, i) => [c, s?.values[0]?.[i]]));
    };
    expect(row('dc-rapl')).toMatchObject({
      requests: 6,
      'server J': expect.closeTo(0.2, 12),
      'device J': 1,
      provenance: 'rapl',
    });
    expect(row('dc-est')).toMatchObject({
      requests: 4,
      'server J': 0.5,
      provenance: 'estimated',
      region: 'FR',
    });
    const narrowed = await run(query('Servers: energy and where it came from'), {
      ...ALL_VARIABLES,
      device: 'pi-b',
    });
    expect(narrowed.map((s) => s.tags?.server)).toEqual(['dc-est']);
  });

  it('lists the fleets and devices that offloaded in its variables', async () => {
    const json = dashboard?.json as { templating: { list: { name: string; query: string }[] } } | undefined;
    const list = json?.templating.list ?? [];
    expect(list.map((v) => v.name)).toEqual(['fleet', 'device']);
    const device = list.find((v) => v.name === 'device')?.query ?? '';
    const values = (await run(device)).flatMap((s) => s.values.map((v) => v[1]));
    expect(values.sort()).toEqual(['pi-a', 'pi-b']);
  });
});
