// `edgewatt model ...` as a real process on the committed fixture: train, prune, sign, verify,
// evaluate; and `verify` failing on a tampered copy.

import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDemoModel } from '../../models/demo/demo-cnn.js';
import { findZoo } from '../../models/zoo/index.js';
import { loadRuntime } from '../../runtime/backend.js';
import { runCli } from '../support/process.js';
import { startStack, tempDir, waitFor } from '../support/stack.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'fashion-mnist');
const dir = tempDir('edgewatt-model-cli-');
afterAll(() => dir.remove());

async function edgewatt(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const run = runCli(args);
  const { code } = await run.exited;
  return { code, out: run.stdout(), err: run.stderr() };
}

const small = ['--data', FIXTURE, '--train-limit', '256', '--test-limit', '100', '--batch-size', '64'];

describe('edgewatt model', () => {
  it('trains, prunes, signs, verifies and evaluates a model', async () => {
    const key = join(dir.path, 'k');
    expect((await edgewatt(['model', 'keygen', '--out', key])).code).toBe(0);
    const base = join(dir.path, 'base');
    const trained = await edgewatt([
      'model',
      'train',
      '--arch',
      'cnn',
      '--epochs',
      '1',
      '--out',
      base,
      ...small,
    ]);
    expect(trained.code, trained.err).toBe(0);
    expect(trained.out).toMatch(
      /cnn-base [0-9a-f]{12}: 2\.528 M multiply-adds, 121930 parameters, test accuracy/,
    );
    // Without a TTY the progress is a plain line per tenth of an epoch, on stderr.
    expect(trained.err).toMatch(/cnn epoch 1\/1 batch 4\/4 loss \d\.\d{4} accuracy \d\.\d{4}/);
    // Training measured its own energy (no RAPL on a CI host: the labelled CPU-time estimate).
    const baseManifest = JSON.parse(readFileSync(join(base, 'manifest.json'), 'utf8'));
    const training = baseManifest.trainingEnergy;
    expect(training.provenance).toBe('estimated');
    expect(training.method).toBe('cpu-time × host power');
    expect(training.cpuS).toBeGreaterThan(0);
    expect(training.energyJ).toBeCloseTo(training.cpuS * 10, 6);
    expect(training.note).toMatch(/^ESTIMATE: .* × 10 W per busy core \(5–15 W, UNSOURCED/);
    expect(trained.err).toMatch(/no power sensor on this host \(no RAPL\); the step's energy is ESTIMATED/);
    expect(trained.out).toMatch(
      /energy of training: [\d.]+ k?J \([\d.]+ k?J–[\d.]+ k?J\), estimated \(cpu-time × host power\)/,
    );

    const pruned = join(dir.path, 'p50');
    const prune = await edgewatt([
      'model',
      'prune',
      '--model',
      base,
      '--out',
      pruned,
      '--target',
      '0.5',
      '--multiple',
      '8',
      '--fine-tune-epochs',
      '1',
      '--key',
      `${key}.key.pem`,
      ...small,
    ]);
    expect(prune.code, prune.err).toBe(0);
    expect(prune.out).toContain('kept channels {"conv1":24,"conv2":40,"dense1":40}');
    const manifest = JSON.parse(readFileSync(join(pruned, 'manifest.json'), 'utf8'));
    expect(manifest.parent).toBe(JSON.parse(readFileSync(join(base, 'manifest.json'), 'utf8')).id);
    expect(manifest.pruning.flopsReduction).toBeGreaterThanOrEqual(0.5);
    expect(manifest.variant).toBe('cnn-p50-x8');
    expect(manifest.pruning.accuracyBeforeFineTune).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(pruned, 'manifest.sig'))).toBe(true);
    // The child carries its parent's training and its own pruning step.
    expect(manifest.trainingEnergy).toEqual({ ...training, fromParent: baseManifest.id });
    expect(manifest.pruningEnergy.provenance).toBe('estimated');
    expect(manifest.pruningEnergy.energyJ).toBeCloseTo(manifest.pruningEnergy.cpuS * 10, 6);

    // compare takes trainingJ from the manifest of the model a scenario names.
    const scenario = join(dir.path, 'training.yaml');
    writeFileSync(
      scenario,
      [
        'samples: 1',
        'workload: { inferencesPerDay: 1000, inputBytes: 784, outputBytes: 40 }',
        `device: { profile: rpi4, gPerKWh: 100, energyJ: 0.005, lifetimeYears: 5, model: ${manifest.id.slice(0, 12)} }`,
        'network: { profile: wifi, rttS: 0.05 }',
        'datacenter: { profile: gpu-server, gPerKWh: 100, energyJ: 0.01, trainingJ: 0 }',
        'training: { gPerKWh: 100, fleetInferences: 1e6 }',
      ].join('\n'),
    );
    const compared = await edgewatt(['compare', '--scenario', scenario, '--models', dir.path, '--json']);
    expect(compared.code, compared.err).toBe(0);
    const result = JSON.parse(compared.out);
    const trainingJ = manifest.trainingEnergy.energyJ + manifest.pruningEnergy.energyJ;
    expect(result.provenance['device.trainingJ'].origin).toBe('manifest');
    expect(result.provenance['device.trainingJ'].central).toBeCloseTo(trainingJ, 9);
    expect(result.provenance['device.trainingJ'].source).toMatch(
      /ESTIMATED by edgewatt model train \+ prune/,
    );
    expect(result.edge.terms.training.central).toBeCloseTo((trainingJ * 100) / 3.6e6 / 1e6, 15);
    expect(result.trainingExceededAfter.edge).toBeGreaterThan(0);

    // Target 0 is the control: the same fine-tuning without pruning.
    const control = join(dir.path, 'ft');
    const ft = await edgewatt([
      'model',
      'prune',
      '--model',
      base,
      '--out',
      control,
      '--target',
      '0',
      ...small,
    ]);
    expect(ft.code, ft.err).toBe(0);
    const controlManifest = JSON.parse(readFileSync(join(control, 'manifest.json'), 'utf8'));
    expect(controlManifest.variant).toBe('cnn-ft');
    expect(controlManifest.pruning).toBeNull();
    expect(controlManifest.flops).toBe(2_528_000);
    expect(controlManifest.parent).toBe(manifest.parent);

    const verified = await edgewatt(['model', 'verify', pruned, '--trusted-key', `${key}.pub.pem`]);
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).toMatch(/^OK .*cnn-p50-x8 [0-9a-f]{64}, signed by [0-9a-f]{16}/m);

    // The base was not signed: verify refuses it; so does it a tampered copy of the pruned model.
    const tampered = join(dir.path, 'p50-tampered');
    cpSync(pruned, tampered, { recursive: true });
    const weights = readFileSync(join(tampered, 'weights.bin'));
    weights[0] = (weights[0] ?? 0) ^ 1;
    writeFileSync(join(tampered, 'weights.bin'), weights);
    const refused = await edgewatt(['model', 'verify', base, tampered, '--trusted-key', `${key}.pub.pem`]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/REFUSED .*base: .*no manifest\.sig/);
    expect(refused.out).toMatch(/REFUSED .*p50-tampered: .*weights\.bin: SHA-256/);

    const results = join(dir.path, 'results.json');
    const evaluated = await edgewatt([
      'model',
      'eval',
      base,
      pruned,
      '--data',
      FIXTURE,
      '--test-limit',
      '100',
      '--rounds',
      '1',
      '--runs',
      '10',
      '--out',
      results,
    ]);
    expect(evaluated.code, evaluated.err).toBe(0);
    expect(evaluated.out).toMatch(/cnn-p50-x8 .* −5\d % /);
    const table = JSON.parse(readFileSync(results, 'utf8'));
    expect(table.variants).toHaveLength(2);
    expect(table.variants[1].flopsReductionVsParent).toBeGreaterThanOrEqual(0.5);
    expect(table.variants[1].energy[0].provenance).toBe('estimated');
  }, 120_000);

  it('edgewatt agent --trusted-key refuses an unsigned model at start, saying why', async () => {
    const key = join(dir.path, 'agent-key');
    const keygen = await edgewatt(['model', 'keygen', '--out', key]);
    expect(keygen.code, keygen.err).toBe(0);
    const { tf } = await loadRuntime('wasm');
    const unsigned = await writeDemoModel(tf, join(dir.path, 'unsigned-demo'));
    const run = await edgewatt([
      'agent',
      '--device',
      'pi-x',
      '--sensor',
      'simulated:rpi4',
      '--model',
      unsigned,
      '--trusted-key',
      `${key}.pub.pem`,
      '--broker',
      'mqtt://127.0.0.1:1',
      '--state-dir',
      join(dir.path, 'agent-state'),
    ]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /has no manifest\.json: the model is unsigned and only signed models are accepted/,
    );
  });

  it('says what is wrong with a bad target', async () => {
    const run = await edgewatt(['model', 'prune', '--model', 'x', '--out', 'y', '--target', '1.5']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/--target .*1\.5.*must be < 1/);
  });

  it('runs only signed models by default (the bundled zoo key); --allow-unsigned is the explicit opt-out', async () => {
    const zoo = findZoo();
    expect(zoo, 'models/zoo is committed').not.toBeNull();
    const { tf } = await loadRuntime('wasm');
    const unsigned = await writeDemoModel(tf, join(dir.path, 'unsigned-default'));
    const stack = await startStack(join(dir.path, 'default-trust.sqlite'));
    const agent = (device: string, model: string, ...extra: string[]) =>
      edgewatt([
        'agent',
        ...['--broker', stack.broker.url, '--fleet', 'trust', '--device', device],
        ...['--sensor', 'simulated:rpi4', '--model', model, '--rate', '0', '--count', '5'],
        ...['--state-dir', join(dir.path, 'state', device), '--backend', 'wasm'],
        ...extra,
      ]);
    try {
      const refused = await agent('pi-unsigned', unsigned);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/the model is unsigned and only signed models are accepted/);
      expect(refused.err).toMatch(/--allow-unsigned/);

      const zooRun = await agent('pi-zoo', zoo?.base.dir ?? '');
      expect(zooRun.code, zooRun.err).toBe(0);

      const optedOut = await agent('pi-dev', unsigned, '--allow-unsigned');
      expect(optedOut.code, optedOut.err).toBe(0);
      expect(optedOut.err).toMatch(/--allow-unsigned: models without a signature will run/);

      const stored = (device: string) =>
        stack.store
          .summary()
          .filter((row) => row.device === device)
          .reduce((sum, row) => sum + row.inferences, 0);
      await waitFor('records of both agents', () => stored('pi-zoo') === 5 && stored('pi-dev') === 5, 30_000);
      const devices = new Map(['pi-unsigned', 'pi-zoo', 'pi-dev'].map((device) => [device, stored(device)]));
      expect(devices.get('pi-unsigned')).toBe(0);
      expect(devices.get('pi-zoo')).toBe(5);
      expect(devices.get('pi-dev')).toBe(5);
    } finally {
      await stack.stop();
    }
  }, 120_000);
});
