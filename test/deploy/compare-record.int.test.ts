// Life-cycle comparisons into a real InfluxDB: `edgewatt compare --record influxdb://...` (the built
// CLI as a child process) and POST /v1/compare?record=true write measurement `comparison` with the
// values the engine printed; then every panel query of the edge-vs-offload dashboard returns data.
// A store that cannot hold comparisons (SQLite) is refused with the flag and the value.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../collector/api/server.js';
import { startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { recordComparisons } from '../../collector/lifecycle/record-comparison.js';
import { InfluxStore } from '../../collector/store/influx.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { buildDashboards } from '../../dashboards/index.js';
import { type Influxd, type InfluxSeries, startInfluxd } from '../support/influxd.js';
import { freePort, waitForPort } from '../support/ports.js';
import { runCli } from '../support/process.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';
import { SAMPLE_COMPARISON } from './fixtures.js';
import { panelQueries, substituteMacros } from './panels.js';

const TOKEN = 'test-api-token-0123456789';
const EXAMPLES = join(import.meta.dirname, '../../examples/scenarios');
const DB = 'edgewatt';

/** The series' rows as objects (column → value), tags folded in. */
function rows(series: InfluxSeries[]): Record<string, unknown>[] {
  return series.flatMap((s) =>
    s.values.map((row) => ({
      ...s.tags,
      ...Object.fromEntries(s.columns.map((column, i) => [column, row[i]])),
    })),
  );
}

async function waitForAsync(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const close = (actual: unknown, expected: number) => {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(Math.abs(expected) * 1e-12);
};

describe('edgewatt compare --record without InfluxDB', () => {
  it('exits non-zero naming --record and the value of a store that cannot hold comparisons', async () => {
    const run = runCli([
      'compare',
      '--scenario',
      join(EXAMPLES, 'pi4-wifi-gpu.yaml'),
      '--samples',
      '10',
      '--record',
      'mysql://127.0.0.1/edgewatt',
    ]);
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(run.stderr()).toContain(
      '--record "mysql://127.0.0.1/edgewatt": this store cannot hold comparison results',
    );
    expect(run.stdout()).toBe('');
  }, 30_000);

  it('writes the printed result to a SQLite file (table `comparison`)', async () => {
    const sqliteDir = tempDir('edgewatt-record-sqlite-');
    try {
      const path = join(sqliteDir.path, 'c.sqlite');
      const run = runCli([
        'compare',
        '--scenario',
        join(EXAMPLES, 'pi4-wifi-gpu.yaml'),
        '--samples',
        '300',
        '--json',
        '--record',
        `sqlite:${path}`,
      ]);
      expect((await run.exited).code).toBe(0);
      // biome-ignore lint/suspicious/noExplicitAny: the printed JSON, checked field by field
      const printed: any = JSON.parse(run.stdout());
      const store = new SqliteStore(path, { readOnly: true });
      await store.connect();
      const stored = store.comparisons();
      await store.close();
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({
        board: 'rpi4',
        scenario: 'pi4-wifi-gpu',
        unit: 'inference',
        samples: 300,
        intervalLevel: 0.9,
        edge: {
          meanG: printed.edge.total.central,
          lowG: printed.edge.total.p5,
          highG: printed.edge.total.p95,
        },
        probabilityEdgeWins: printed.probabilityEdgeLower,
        breakEvenPerS: printed.breakEvenInferencesPerDay.inferencesPerDay / 86_400,
      });
    } finally {
      sqliteDir.remove();
    }
  }, 30_000);
});

describe('recording to an InfluxDB that does not answer', () => {
  it('fails after the timeout, saying where the result is kept', async () => {
    const port = await freePort();
    await expect(
      recordComparisons(`influxdb://127.0.0.1:${port}/${DB}`, [{ ...SAMPLE_COMPARISON, atUs: 1 }], {
        timeoutMs: 300,
      }),
    ).rejects.toThrow(
      /--record influxdb:\/\/127\.0\.0\.1:\d+\/edgewatt: the comparison did not reach the store within 0\.3 s .*it is kept in \S*edgewatt-record-/,
    );
  }, 30_000);
});

describeWith(['influxd'], 'comparisons recorded in a real InfluxDB', () => {
  const dir = tempDir('edgewatt-record-');
  const startedAtMs = Date.now();
  let influx: Influxd;

  beforeAll(async () => {
    influx = await startInfluxd();
  }, 60_000);
  afterAll(async () => {
    await influx?.remove();
    dir.remove();
  });

  it('compare --record writes the printed result as one `comparison` point', async () => {
    const url = `influxdb://127.0.0.1:${influx.port}/${DB}`;
    const run = runCli(
      [
        'compare',
        '--scenario',
        join(EXAMPLES, 'pi4-wifi-gpu.yaml'),
        '--samples',
        '500',
        '--json',
        '--record',
        url,
      ],
      { TMPDIR: dir.path },
    );
    const { code } = await run.exited;
    expect(run.stderr()).toContain(`recorded the comparison (measurement \`comparison\`) in ${url}`);
    expect(code).toBe(0);
    // biome-ignore lint/suspicious/noExplicitAny: the printed JSON, checked field by field
    const printed: any = JSON.parse(run.stdout());

    const stored = rows(await influx.query(DB, 'SELECT * FROM comparison'));
    expect(stored).toHaveLength(1);
    const point = stored[0] as Record<string, unknown>;
    expect(point).toMatchObject({
      fleet: 'none',
      board: 'rpi4',
      model: 'none',
      variant: 'none',
      scenario: 'pi4-wifi-gpu',
      unit: 'inference',
      samples: 500,
      interval_level: 0.9,
    });
    expect(point.device ?? null, 'no device tag without measured data').toBeNull();
    close(point.edge_g_co2e, printed.edge.total.central);
    close(point.edge_g_co2e_low, printed.edge.total.p5);
    close(point.edge_g_co2e_high, printed.edge.total.p95);
    close(point.offload_g_co2e, printed.offload.total.central);
    close(point.offload_g_co2e_low, printed.offload.total.p5);
    close(point.offload_g_co2e_high, printed.offload.total.p95);
    close(point.p_edge_wins, printed.probabilityEdgeLower);
    expect(printed.breakEvenInferencesPerDay.edgeLowerWhen).toBe('above');
    close(point.break_even_per_s, printed.breakEvenInferencesPerDay.inferencesPerDay / 86_400);
    const atMs = Number(point.time) / 1e6; // the helper asks for epoch=ns
    expect(atMs).toBeGreaterThanOrEqual(startedAtMs - 1000);
    expect(atMs).toBeLessThanOrEqual(Date.now());
  }, 60_000);

  it('POST /v1/compare?record=true writes through the collector store, with the API token only; without a capable store it is 400', async () => {
    const store = new InfluxStore(`127.0.0.1:${influx.port}/${DB}`, {
      spoolDir: join(dir.path, 'spool'),
      flushIntervalMs: 50,
    });
    await store.connect();
    const api = await startApi({
      port: 0,
      scenariosDir: dir.path,
      recordComparison: (results) => store.writeComparison(results),
      apiToken: TOKEN,
    });
    const plain = await startApi({ port: 0, scenariosDir: dir.path, apiToken: TOKEN });
    const tokenless = await startApi({
      port: 0,
      scenariosDir: dir.path,
      recordComparison: (results) => store.writeComparison(results),
    });
    try {
      const body = `name: api-pi5\n${readFileSync(join(EXAMPLES, 'pi5-wifi-time-marginal.yaml'), 'utf8')
        .replace(/^name: .*$/m, '')
        .replace(/^samples: .*$/m, 'samples: 300')}`;
      const post = (base: string, query: string, token: string | null = TOKEN) =>
        fetch(`${base}/v1/compare${query}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/yaml',
            ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          },
          body,
        });

      // Writing needs the token: none configured → 403, missing or wrong → 401.
      const noToken = await post(tokenless.url, '?record=true');
      expect(noToken.status).toBe(403);
      expect(((await noToken.json()) as { error: string }).error).toContain('--api-token');
      expect((await post(api.url, '?record=true', null)).status).toBe(401);
      expect((await post(api.url, '?record=true', `${TOKEN}x`)).status).toBe(401);

      const refused = await post(plain.url, '?record=true');
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toContain(
        "record=true: the collector's store (none) cannot hold comparison results",
      );
      expect((await post(api.url, '?record=maybe')).status).toBe(400);

      const response = await post(api.url, '?record=true');
      expect(response.status).toBe(200);
      // biome-ignore lint/suspicious/noExplicitAny: the JSON body, checked field by field
      const result: any = await response.json();
      expect(result.recorded).toMatchObject({ measurement: 'comparison', scenario: 'api-pi5' });
      await store.drained();
      const stored = rows(await influx.query(DB, `SELECT * FROM comparison WHERE "scenario" = 'api-pi5'`));
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ board: 'rpi5', samples: 300, unit: 'inference' });
      close(stored[0]?.edge_g_co2e, result.edge.total.central);
      close(stored[0]?.p_edge_wins, result.probabilityEdgeLower);
      expect(stored[0]?.break_even_per_s, '`time` allocation has no break-even rate').toBeNull();

      // Without ?record nothing more is written.
      expect((await post(api.url, '')).status).toBe(200);
      await store.drained();
      expect(rows(await influx.query(DB, 'SELECT * FROM comparison'))).toHaveLength(2);
    } finally {
      await api.close();
      await plain.close();
      await tokenless.close();
      await store.close();
    }
  }, 60_000);

  it('`edgewatt collector --store influxdb://... --http` records POST /v1/compare?record=true', async () => {
    const broker = await startEmbeddedBroker(0);
    const port = await freePort();
    const run = runCli([
      'collector',
      '--broker',
      broker.url,
      '--store',
      `influxdb://127.0.0.1:${influx.port}/${DB}`,
      '--spool-dir',
      join(dir.path, 'collector-spool'),
      '--flush-ms',
      '50',
      '--http',
      `127.0.0.1:${port}`,
      '--api-token',
      TOKEN,
    ]);
    try {
      await waitForPort(port, 'collector HTTP API');
      const body = readFileSync(join(EXAMPLES, 'mcu-lte-cpu.yaml'), 'utf8').replace(
        /^samples: .*$/m,
        'samples: 200',
      );
      const response = await fetch(`http://127.0.0.1:${port}/v1/compare?record=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/yaml', authorization: `Bearer ${TOKEN}` },
        body,
      });
      expect(response.status).toBe(200);
      const { recorded } = (await response.json()) as { recorded: { scenario: string } };
      const query = `SELECT * FROM comparison WHERE "scenario" = '${recorded.scenario}' AND "samples" = 200`;
      await waitForAsync(async () => rows(await influx.query(DB, query)).length === 1);
    } finally {
      run.child.kill('SIGINT');
      await run.exited;
      await broker.close();
    }
  }, 60_000);

  it('every panel query of the edge-vs-offload dashboard returns data from these comparisons', async () => {
    const dashboard = buildDashboards().find((d) => d.path.includes('edge-vs-offload'));
    expect(dashboard, 'the edge-vs-offload dashboard exists').toBeDefined();
    const queries = panelQueries(dashboard?.json ?? {});
    expect(queries.length).toBeGreaterThanOrEqual(5);
    const range = { fromMs: startedAtMs - 60_000, toMs: Date.now() + 60_000 };
    const empty: string[] = [];
    for (const q of queries) {
      const series = await influx.query(DB, substituteMacros(q.query, range));
      const hasValue = series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null)));
      if (!hasValue) empty.push(`${q.panel}: ${q.query}`);
    }
    expect(empty).toEqual([]);
  });
});
