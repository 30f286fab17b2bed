// `edgewatt experiment plan|start|status|analyse|report|stop` as a user runs them: the built CLI as a child
// process, on a SQLite store holding a simulated fleet's records (run `npm run build` first).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisResultSchema } from '../../collector/experiments/analysis-result.js';
import { defaultFleetSpec, simulatedModelId, simulateFleet } from '../../collector/experiments/simulate.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { runCli } from '../support/process.js';
import { tempDir } from '../support/stack.js';

async function cli(args: string[]) {
  const run = runCli(args);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('edgewatt experiment', () => {
  const dir = tempDir('edgewatt-experiment-cli-');
  const spec = defaultFleetSpec({ boards: 6, ratePerS: 0.05, seed: 5 });
  const fleet = simulateFleet(spec);
  const file = join(dir.path, 'prune.yaml');
  const storeUrl = `sqlite:${join(dir.path, 'records.sqlite')}`;
  const dataDir = join(dir.path, 'collector');

  beforeAll(async () => {
    writeFileSync(
      file,
      `# the simulated fleet's experiment, as a user writes it
id: ${spec.experimentId}
fleet: ${spec.fleet}
devices: [${fleet.devices.join(', ')}]
arms:
  - { id: dense, model: ${simulatedModelId('dense')} }
  - { id: pruned, model: ${simulatedModelId('pruned')}, variant: pruned-50 }
periodS: 600
periods: 4
washoutS: 60
warmupS: 30
preS: 600
seed: 5
power: { periodSdRel: 0.035, interactionSdRel: 0.03, targetEffect: 0.05 }
`,
    );
    const store = new SqliteStore(join(dir.path, 'records.sqlite'));
    await store.connect();
    for (const device of fleet.devices) {
      const records = fleet.records
        .filter((r) => r.device === device)
        .map(({ fleet: _f, device: _d, ...r }) => r);
      await store.writeBatch(spec.fleet, device, records);
    }
    await store.close();
  });
  afterAll(() => dir.remove());

  it('plans, starts, reports status, analyses and stops', async () => {
    const plan = await cli(['experiment', 'plan', file]);
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toMatch(/minimum detectable effect +\d+\.\d %/);
    expect(plan.stdout).toMatch(/sim-01 +(dense|pruned)\*/);

    const at = new Date(fleet.startMs).toISOString();
    const start = await cli(['experiment', 'start', file, '--data-dir', dataDir, '--at', at]);
    expect(start.code).toBe(0);
    expect(start.stdout).toContain(`experiment sim-prune starts ${at} on 6 board(s)`);

    const status = await cli(['experiment', 'status', 'sim-prune', '--data-dir', dataDir, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: 'sim-prune', state: 'running', startedAt: at });

    const analysed = await cli([
      'experiment',
      'analyse',
      'sim-prune',
      '--data-dir',
      dataDir,
      '--store',
      storeUrl,
      '--json',
      '--replicates',
      '500',
    ]);
    expect(analysed.stderr).toBe('');
    const result = analysisResultSchema.parse(JSON.parse(analysed.stdout));
    expect(result.perBoardPeriod).toHaveLength(24);
    expect(result.conclusion).toMatch(/^pruned uses \d+\.\d % less energy per inference than dense/);

    const text = await cli([
      'experiment',
      'analyse',
      'sim-prune',
      '--data-dir',
      dataDir,
      '--store',
      storeUrl,
      '--replicates',
      '500',
    ]);
    expect(text.stdout.split('\n')[0]).toBe(result.conclusion);
    expect(text.stdout).toMatch(/sample ratio \(board-periods\): ok/);

    // The report (exp-report's) from this analysis: the conclusion is in the HTML.
    const analysisFile = join(dir.path, 'analysis.json');
    writeFileSync(analysisFile, analysed.stdout);
    const reportFile = join(dir.path, 'report.html');
    const report = await cli([
      'experiment',
      'report',
      'sim-prune',
      '--analysis',
      analysisFile,
      '--out',
      reportFile,
    ]);
    expect(report.code).toBe(0);
    expect(readFileSync(reportFile, 'utf8')).toContain('less energy per inference than dense');

    const stop = await cli(['experiment', 'stop', 'sim-prune', '--data-dir', dataDir]);
    expect(stop.stdout).toMatch(/^experiment sim-prune stopped at /);
  }, 60_000);

  it('fails with one line naming what is wrong', async () => {
    const missing = await cli(['experiment', 'analyse', 'nope', '--data-dir', dataDir, '--store', storeUrl]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no experiment "nope"/);
    const bad = join(dir.path, 'bad.yaml');
    writeFileSync(
      bad,
      'id: x\nfleet: lab\ndevices: [a]\narms: [{ id: a, model: abc }]\nperiodS: 10\nperiods: 2\n',
    );
    const invalid = await cli(['experiment', 'plan', bad]);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toMatch(/arms\.0\.model: expected the model id.*got "abc"/);
    expect(invalid.stderr).toMatch(/arms: give at least two arms/);
  }, 30_000);
});
