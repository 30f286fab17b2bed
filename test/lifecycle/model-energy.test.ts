// Training energy from a model's manifest (issue 13): a scenario that names the model takes its
// trainingJ (training + pruning) from the manifest, with its provenance, and trainingExceededAfter
// follows; a named model without energy, or with no manifests to read, is an error that says so.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compare, ScenarioError, validateScenario } from '../../collector/lifecycle/index.js';
import { manifestTrainingSource } from '../../collector/lifecycle/model-energy.js';
import type { StepEnergy } from '../../protocol/manifest/index.js';
import { relativeError, tempDir } from './helpers.js';

const dir = tempDir();
afterAll(() => dir.remove());

const zooManifest = (variant: string) =>
  JSON.parse(
    readFileSync(join(import.meta.dirname, '..', '..', 'models', 'zoo', variant, 'manifest.json'), 'utf8'),
  );
const step = (energyJ: number, provenance: StepEnergy['provenance']): StepEnergy => ({
  energyJ,
  lowJ: energyJ * 0.5,
  highJ: energyJ * 1.5,
  provenance,
  method: provenance === 'measured' ? 'rapl' : 'cpu-time × host power',
  wallS: 10,
  cpuS: 20,
  note: provenance === 'measured' ? 'measured: RAPL' : 'ESTIMATE: cpu time',
});

function writeModel(name: string, manifest: object) {
  mkdirSync(join(dir.path, name), { recursive: true });
  writeFileSync(join(dir.path, name, 'manifest.json'), JSON.stringify(manifest));
}
writeModel('base', { ...zooManifest('cnn-base'), trainingEnergy: step(36_000, 'measured') });
writeModel('p50', {
  ...zooManifest('cnn-p50'),
  trainingEnergy: { ...step(36_000, 'measured'), fromParent: zooManifest('cnn-base').id },
  pruningEnergy: step(7_200, 'estimated'),
});
writeModel('p70', zooManifest('cnn-p70')); // made before training energy was measured

const SCENARIO = {
  samples: 1,
  workload: { inferencesPerDay: 10_000, inputBytes: 784, outputBytes: 40 },
  device: { gPerKWh: 100, energyJ: 0.005, latencyS: 0.002, idleW: 2.7, embodiedKg: 9.5, lifetimeYears: 5 },
  network: {
    uplinkUJPerBit: 0.1,
    downlinkUJPerBit: 0.1,
    requestOverheadJ: 0.1,
    kWhPerGB: 0.0065,
    rttS: 0.05,
  },
  datacenter: {
    gPerKWh: 300,
    pue: 1.5,
    energyJ: 0.01,
    powerW: 500,
    embodiedKg: 1000,
    lifetimeYears: 4,
    utilization: 0.5,
  },
  training: { gPerKWh: 200, fleetInferences: 1e8 },
};
const run = async (over: Record<string, unknown>) =>
  compare(validateScenario({ ...SCENARIO, ...over }), undefined, await manifestTrainingSource(dir.path));

describe('trainingJ from a manifest', () => {
  it("takes a pruned model's training + pruning energy, its range and provenance", async () => {
    const r = await run({ device: { ...SCENARIO.device, model: 'cnn-p50' } });
    const p = r.provenance['device.trainingJ'];
    expect(p?.origin).toBe('manifest');
    expect(p?.central).toBe(43_200);
    expect([p?.low, p?.high]).toEqual([21_600, 64_800]);
    expect(p?.source).toMatch(
      /^manifest of cnn-p50 31ace79fcb29 .*ESTIMATED by edgewatt model train \+ prune/,
    );
    expect(p?.note).toMatch(/from parent f6f5fc5a9f2b.*pruning 7200 J/);
    const kTrain = 200 / 3.6e6;
    expect(relativeError(r.edge.terms.training.central, (43_200 * kTrain) / 1e8)).toBeLessThan(1e-12);
    const running = r.edge.terms.operational.central + r.edge.terms.idle.central;
    expect(relativeError(r.trainingExceededAfter.edge as number, (43_200 * kTrain) / running)).toBeLessThan(
      1e-12,
    );
  });

  it('is measured when every step was, and names a model by id prefix too', async () => {
    const r = await run({ device: { ...SCENARIO.device, model: zooManifest('cnn-base').id.slice(0, 10) } });
    expect(r.provenance['device.trainingJ']?.source).toMatch(/measured by edgewatt model train$/);
    expect(r.provenance['device.trainingJ']?.central).toBe(36_000);
  });

  it('serves the datacenter side as well', async () => {
    const r = await run({ datacenter: { ...SCENARIO.datacenter, model: 'cnn-base' } });
    expect(r.provenance['datacenter.trainingJ']?.origin).toBe('manifest');
    expect(r.trainingExceededAfter.offload).not.toBeNull();
    expect(r.trainingExceededAfter.edge).toBeNull();
  });

  it("a scenario's own trainingJ wins over the manifest", async () => {
    const r = await run({ device: { ...SCENARIO.device, model: 'cnn-p50', trainingJ: 5 } });
    expect(r.provenance['device.trainingJ']).toMatchObject({ origin: 'scenario', central: 5 });
  });

  it('refuses a named model whose manifest has no training energy, or that is not there', async () => {
    await expect(run({ device: { ...SCENARIO.device, model: 'cnn-p70' } })).rejects.toThrow(
      /device\.model: cnn-p70 43f7c792.*its manifest has no training energy/,
    );
    await expect(run({ device: { ...SCENARIO.device, model: 'cnn-p99' } })).rejects.toThrow(
      /device\.model: no model "cnn-p99" under .*known: /,
    );
  });

  it('refuses a named model when there are no manifests to read (no --models)', () => {
    expect(() =>
      compare(validateScenario({ ...SCENARIO, device: { ...SCENARIO.device, model: 'cnn-p50' } })),
    ).toThrow(ScenarioError);
  });

  it('warns, without a training block, that a named model is not charged', async () => {
    const { training: _, ...noTraining } = SCENARIO;
    const r = compare(
      validateScenario({ ...noTraining, device: { ...SCENARIO.device, model: 'cnn-p50' } }),
      undefined,
      await manifestTrainingSource(dir.path),
    );
    expect(r.warnings.join('\n')).toMatch(/a model is named but there is no `training` block/);
    expect(r.trainingExceededAfter.edge).toBeNull();
  });
});
