// Every file in examples/ works as it is given to a user. Scenarios are parsed, validated and
// compared; one that reads `measured` values is compared against the store of a short, real demo
// run (runDemo, in this process), which is where its own comment sends the user. A new kind of
// example file fails here until a check for it is added.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../cli/commands/demo.js';
import { demoSchema } from '../../cli/schemas.js';
import { runComparison } from '../../collector/api/run-compare.js';
import { parseExperiment, planExperiment } from '../../collector/experiments/index.js';
import { parseScenario } from '../../collector/lifecycle/index.js';
import { tempDir } from '../support/stack.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const files = readdirSync(EXAMPLES, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => relative(EXAMPLES, join(entry.parentPath, entry.name)))
  .sort();
const isScenario = (file: string) => /^scenarios\/[^/]+\.(ya?ml|json)$/.test(file);
const isExperiment = (file: string) => /^experiments\/[^/]+\.(ya?ml|json)$/.test(file);
const scenario = (file: string) => parseScenario(readFileSync(join(EXAMPLES, file), 'utf8'), file);
const measured = files.filter(isScenario).filter((file) => scenario(file).device.measured !== undefined);

describe('examples/', () => {
  it('holds only files this test knows how to check', () => {
    expect(files.filter(isScenario).length).toBeGreaterThanOrEqual(5);
    expect(files.filter((file) => !isScenario(file) && !isExperiment(file))).toEqual([]);
  });

  it.each(files.filter(isExperiment))('%s is a valid experiment file that plans', async (file) => {
    const experiment = parseExperiment(readFileSync(join(EXAMPLES, file), 'utf8'), file);
    const plan = await planExperiment(experiment, null);
    expect(plan.schedule.length).toBe(plan.devices.length * experiment.periods);
    expect(Number.isFinite(plan.power.mde)).toBe(true);
  });

  it.each(files.filter(isScenario).filter((file) => !measured.includes(file)))(
    '%s is a valid scenario and compares to finite totals',
    async (file) => {
      const parsed = scenario(file);
      const result = await runComparison({ ...parsed, samples: Math.min(parsed.samples, 500) }, undefined);
      expect(Number.isFinite(result.edge.total.median)).toBe(true);
      expect(Number.isFinite(result.offload.total.median)).toBe(true);
    },
  );
});

describe('examples/ that read measured values, against a real demo store', () => {
  const dir = tempDir('edgewatt-examples-');
  const defaults = demoSchema.parse({});
  const config = demoSchema.parse({ duration: 2, interval: 60, dataDir: join(dir.path, 'demo') });
  const store = `sqlite:${join(config.dataDir, 'demo.sqlite')}`;

  beforeAll(async () => {
    await runDemo(config, () => {});
  }, 60_000);
  afterAll(() => dir.remove());

  it('there is one', () => {
    expect(measured.length).toBeGreaterThanOrEqual(1);
  });

  it.each(measured)(
    '%s names the demo store in its comment and compares with the demo records',
    async (file) => {
      const parsed = scenario(file);
      const result = await runComparison({ ...parsed, samples: 500 }, store);
      expect(result.measurement?.records).toBeGreaterThan(0);
      expect(result.measurement?.energyProvenance).toBe('estimated');
      expect(result.provenance['device.energyJ']?.origin).toBe('store-estimate');
      expect(Number.isFinite(result.edge.total.median)).toBe(true);
      expect(Number.isFinite(result.offload.total.median)).toBe(true);
      // The command in the file's comment reads the store the demo writes by default.
      const text = readFileSync(join(EXAMPLES, file), 'utf8');
      expect(text).toContain(`--store sqlite:${defaults.dataDir}/demo.sqlite`);
    },
  );
});
