// The experiments dashboard and the fleet/device variables of every dashboard against a real
// influxd: a simulated experiment's records (collector/experiments/simulate.ts) are written through
// the InfluxDB store, then every panel query runs as Grafana would send it — variables at All and
// narrowed to one board or experiment — and the variables' own tag queries list what was written.

import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultFleetSpec, simulateFleet } from '../../collector/experiments/simulate.js';
import { InfluxStore } from '../../collector/store/influx.js';
import { buildDashboards } from '../../dashboards/index.js';
import type { InferenceRecord } from '../../protocol/index.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';
import { ALL_VARIABLES, panelQueries, regexValue, substituteMacros } from './panels.js';

const DB = 'edgewatt';

interface Templating {
  templating: {
    list: { name: string; query: string; includeAll: boolean; allValue: string; multi: boolean }[];
  };
}

describeWith(['influxd'], 'experiments dashboard and dashboard variables (real influxd)', () => {
  const dir = tempDir('edgewatt-dash-');
  const fleet = simulateFleet(
    defaultFleetSpec({
      boards: 3,
      periods: 2,
      periodS: 120,
      washoutS: 20,
      warmupS: 10,
      preS: 60,
      ratePerS: 1,
    }),
  );
  const range = { fromMs: fleet.startMs - 120_000, toMs: fleet.startMs + 2 * 120_000 + 60_000 };
  const dashboards = buildDashboards();
  let influx: Influxd;

  const templating = (file: string) => {
    const found = dashboards.find((d) => d.path.endsWith(file));
    if (found === undefined) throw new Error(`no dashboard ${file}`);
    return (found.json as unknown as Templating).templating.list;
  };
  const values = async (query: string) =>
    (await influx.query(DB, query)).flatMap((s) => s.values.map((row) => row.slice(1)));
  const seriesTags = async (query: string) => (await influx.query(DB, query)).map((s) => s.tags ?? {});

  beforeAll(async () => {
    influx = await startInfluxd();
    const store = new InfluxStore(`127.0.0.1:${influx.port}/${DB}`, {
      spoolDir: join(dir.path, 'spool'),
      flushIntervalMs: 50,
    });
    await store.connect();
    for (const device of fleet.devices) {
      const records = fleet.records
        .filter((r) => r.device === device)
        .map(({ fleet: _f, device: _d, ...r }) => r as InferenceRecord);
      await store.writeBatch(fleet.spec.fleet, device, records);
    }
    await store.drained();
    await store.close();
  }, 60_000);

  afterAll(async () => {
    await influx?.remove();
    dir.remove();
  });

  it('has fleet, device, experiment and arm variables, each multi-value with an All', () => {
    const experiments = dashboards.find((d) => d.path.endsWith('edgewatt-experiments.json'))
      ?.json as unknown as Templating;
    expect(experiments.templating.list.map((v) => v.name)).toEqual(['fleet', 'device', 'experiment', 'arm']);
    for (const d of dashboards) {
      const names = (d.json as unknown as Templating).templating.list.map((v) => v.name);
      expect(names.slice(0, 2), d.path).toEqual(['fleet', 'device']);
      for (const v of (d.json as unknown as Templating).templating.list)
        expect([v.multi, v.includeAll, v.allValue], `${d.path} $${v.name}`).toEqual([
          true,
          true,
          ALL_VARIABLES[v.name],
        ]);
    }
  });

  it('lists the written fleets, devices, experiments and arms in the variables', async () => {
    const list = templating('edgewatt-experiments.json');
    const query = (name: string, vars = ALL_VARIABLES) => {
      const variable = list.find((v) => v.name === name);
      if (variable === undefined) throw new Error(`no variable ${name}`);
      return values(substituteMacros(variable.query, range, vars));
    };
    expect((await query('fleet')).map((row) => row[0])).toEqual(['lab']);
    expect((await query('device', { ...ALL_VARIABLES, fleet: 'lab' })).map((row) => row[0])).toEqual(
      fleet.devices,
    );
    expect(await query('device', { ...ALL_VARIABLES, fleet: 'elsewhere' })).toEqual([]);
    expect((await query('experiment')).map((row) => row[0])).toEqual([fleet.spec.experimentId]);
    expect(
      (await query('arm', { ...ALL_VARIABLES, experiment: fleet.spec.experimentId })).map((row) => row[0]),
    ).toEqual(['dense', 'pruned']);
  });

  it('answers every experiments panel with data, at All and for one board', async () => {
    const experiments = dashboards.find((d) => d.path.endsWith('edgewatt-experiments.json'));
    const queries = panelQueries(experiments?.json ?? {});
    expect(queries.length).toBeGreaterThanOrEqual(7);
    const empty: string[] = [];
    for (const q of queries) {
      const rows = await values(substituteMacros(q.query, range));
      if (!rows.some((row) => row.some((v) => v !== null))) empty.push(`${q.panel}: ${q.query}`);
    }
    expect(empty).toEqual([]);
    const byBoard = queries.find((q) => q.panel === 'Per board and arm (raw)');
    const one = { ...ALL_VARIABLES, device: regexValue(['sim-02']) };
    const tags = await seriesTags(substituteMacros(byBoard?.query ?? '', range, one));
    expect(tags).toEqual([
      { experiment: fleet.spec.experimentId, device: 'sim-02', arm: 'dense' },
      { experiment: fleet.spec.experimentId, device: 'sim-02', arm: 'pruned' },
    ]);
    // The pre-experiment records carry no experiment tag: the dashboard counts only tagged ones.
    const perArm = queries.find((q) => q.panel.startsWith('Per arm'));
    const counted = (await values(substituteMacros(perArm?.query ?? '', range))).reduce(
      (sum, row) => sum + Number(row[0]),
      0,
    );
    expect(counted).toBe(fleet.records.filter((r) => r.experiment !== undefined).length);
    // Arm narrows too, and two values are a regex alternation.
    const both = { ...ALL_VARIABLES, device: regexValue(['sim-01', 'sim-03']), arm: regexValue(['pruned']) };
    expect(await seriesTags(substituteMacros(byBoard?.query ?? '', range, both))).toEqual([
      { experiment: fleet.spec.experimentId, device: 'sim-01', arm: 'pruned' },
      { experiment: fleet.spec.experimentId, device: 'sim-03', arm: 'pruned' },
    ]);
  });

  it('narrows the fleet and models dashboards to the chosen device', async () => {
    const one = { ...ALL_VARIABLES, fleet: 'lab', device: regexValue(['sim-01']) };
    for (const file of ['edgewatt-fleet.json', 'edgewatt-models.json']) {
      const queries = panelQueries(dashboards.find((d) => d.path.endsWith(file))?.json ?? {}).filter(
        (q) => q.query.includes('FROM "inference"') && q.query.includes('"device"'),
      );
      expect(queries.length, file).toBeGreaterThan(0);
      for (const q of queries) {
        const all = await seriesTags(substituteMacros(q.query, range));
        const narrowed = await seriesTags(substituteMacros(q.query, range, one));
        expect(narrowed.length, `${file} / ${q.panel}`).toBeGreaterThan(0);
        if (all.some((t) => t.device !== undefined)) {
          expect(new Set(all.map((t) => t.device)).size, `${file} / ${q.panel}`).toBe(fleet.devices.length);
          expect(
            narrowed.every((t) => t.device === 'sim-01'),
            `${file} / ${q.panel}`,
          ).toBe(true);
        }
      }
      const counts = panelQueries(dashboards.find((d) => d.path.endsWith(file))?.json ?? {}).filter(
        (q) => q.panel === 'Inferences in range',
      );
      for (const q of counts) {
        const total = Number((await values(substituteMacros(q.query, range)))[0]?.[0]);
        const mine = Number((await values(substituteMacros(q.query, range, one)))[0]?.[0]);
        expect(total).toBe(fleet.records.length);
        expect(mine).toBe(fleet.records.filter((r) => r.device === 'sim-01').length);
      }
    }
  });
});
