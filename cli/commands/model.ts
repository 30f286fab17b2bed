// `edgewatt model ...`: train, prune, measure, sign and verify model artifacts (see docs/models.md).

import { Command } from 'commander';
import { countCost } from '../../models/analysis/flops.js';
import { ARCHITECTURE_NAMES, architectureByName } from '../../models/arch/index.js';
import { buildMobileNetV1 } from '../../models/arch/mobilenet-v1.js';
import { loadLayers } from '../../models/artifact/save.js';
import { writeSubset } from '../../models/data/subset.js';
import { type PruneRequest, pruneVariant } from '../../models/pipeline/prune.js';
import { measureArtifacts, writeResults } from '../../models/pipeline/results.js';
import { loadTestSet, trainVariant } from '../../models/pipeline/train.js';
import { readPrivateKey, signArtifactDir } from '../../models/sign/keys.js';
import { loadRuntime } from '../../runtime/backend.js';
import { resolveConfig } from '../config.js';
import {
  modelPruneSchema,
  modelResultsSchema,
  modelSubsetSchema,
  modelSweepSchema,
  modelTrainSchema,
} from '../schemas/model.js';
import { addKeyCommands } from './model-keys.js';
import { progressBar, resultsTable } from './model-output.js';

const out = (text: string) => process.stdout.write(text);

const commandLine = () => `edgewatt ${process.argv.slice(2).join(' ')}`;

function trainingOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'Fashion-MNIST idx files (default: /usr/share/datasets/fashion-mnist)')
    .option('--batch-size <n>', 'examples per training step (default: 128)')
    .option('--learning-rate <x>', 'Adam learning rate')
    .option('--decay <x>', 'learning rate × this after each epoch (default: 0.5)')
    .option('--seed <n>', 'seed of weights and batch order (default: 1)')
    .option('--train-limit <n>', 'train on the first n examples, 0 = all 60,000 (default: 0)')
    .option('--test-limit <n>', 'measure accuracy on the first n test images, 0 = all 10,000 (default: 0)')
    .option('--key <pem>', 'sign the manifest with this ed25519 private key')
    .option('--backend <tensorflow|wasm|cpu>', 'start the backend search here')
    .option('--config <path>', 'JSON config file (section "model")');
}

async function signIfKey(dir: string, key: string | undefined): Promise<void> {
  if (key === undefined) return;
  const signature = await signArtifactDir(dir, await readPrivateKey(key));
  out(`signed ${dir}/manifest.json with key ${signature.keyId}\n`);
}

function summary(m: {
  variant: string;
  id: string;
  flops: number;
  params: number;
  accuracy: { top1: number } | null;
}) {
  return `${m.variant} ${m.id.slice(0, 12)}: ${(m.flops / 1e6).toFixed(3)} M multiply-adds, ${m.params} parameters, test accuracy ${m.accuracy === null ? '?' : `${(m.accuracy.top1 * 100).toFixed(2)} %`}\n`;
}

function pruneRequest(config: ReturnType<typeof modelPruneSchema.parse>, backend: string): PruneRequest {
  return {
    model: config.model,
    dataDir: config.data,
    out: config.out,
    variant: config.variant,
    targetFlopsReduction: config.target,
    channelMultiple: config.multiple,
    fineTuneEpochs: config.fineTuneEpochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    decay: config.decay,
    seed: config.seed,
    trainLimit: config.trainLimit,
    testLimit: config.testLimit,
    backend,
  };
}

export function modelCommand(): Command {
  const model = new Command('model').description('train, prune, evaluate, sign and verify model artifacts');

  trainingOptions(
    model
      .command('train')
      .description('train a model on Fashion-MNIST and write it with its manifest')
      .option('--arch <name>', `architecture: ${ARCHITECTURE_NAMES.join(', ')} (required)`)
      .option('--out <dir>', 'folder to write model.json, weights.bin, manifest.json (required)')
      .option('--variant <name>', 'variant name (default: <arch>-base)')
      .option('--epochs <n>', 'passes over the training set (default: 3)'),
  ).action(async (_options, command: Command) => {
    const config = resolveConfig(modelTrainSchema, 'model', command);
    const runtime = await loadRuntime(config.backend);
    const bar = progressBar(config.arch);
    const outcome = await trainVariant(
      runtime.tf,
      {
        architecture: config.arch,
        dataDir: config.data,
        out: config.out,
        variant: config.variant,
        epochs: config.epochs,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        decay: config.decay,
        seed: config.seed,
        trainLimit: config.trainLimit,
        testLimit: config.testLimit,
        backend: runtime.backend,
      },
      bar.onProgress,
    ).finally(bar.stop);
    for (const e of outcome.epochs)
      out(
        `epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, accuracy ${(e.accuracy * 100).toFixed(2)} %, ${(e.durationMs / 1000).toFixed(0)} s\n`,
      );
    out(summary(outcome.manifest));
    await signIfKey(config.out, config.key);
  });

  trainingOptions(
    model
      .command('prune')
      .description('remove the lowest-L1 channels to a FLOPs target, fine-tune, and write the smaller model')
      .option('--model <dir>', 'trained model folder (required)')
      .option('--out <dir>', 'folder for the pruned model (required)')
      .option(
        '--target <fraction>',
        'fraction of multiply-adds to remove, e.g. 0.5; 0 = fine-tune only, the control (required)',
      )
      .option('--multiple <n>', 'round kept channel counts to a multiple of n, e.g. 8 or 16 (default: 1)')
      .option('--fine-tune-epochs <n>', 'epochs of fine-tuning after pruning (default: 1)')
      .option('--variant <name>', 'variant name (default: <arch>-p<target %>[-x<multiple>])'),
  ).action(async (_options, command: Command) => {
    const config = resolveConfig(modelPruneSchema, 'model', command);
    const runtime = await loadRuntime(config.backend);
    const bar = progressBar('fine-tune');
    const outcome = await pruneVariant(
      runtime.tf,
      pruneRequest(config, runtime.backend),
      bar.onProgress,
    ).finally(bar.stop);
    const pruning = outcome.manifest.pruning;
    out(
      pruning === null
        ? `control: fine-tuned without pruning; accuracy before ${(outcome.accuracyBeforeFineTune * 100).toFixed(2)} %\n`
        : `kept channels ${JSON.stringify(pruning.keptChannels)}; FLOPs −${(pruning.flopsReduction * 100).toFixed(1)} %; ` +
            `accuracy before fine-tuning ${(outcome.accuracyBeforeFineTune * 100).toFixed(2)} %\n`,
    );
    out(summary(outcome.manifest));
    await signIfKey(config.out, config.key);
  });

  trainingOptions(
    model
      .command('sweep')
      .description('prune one model to several FLOPs targets and write the results table')
      .option('--model <dir>', 'trained model folder (required)')
      .option('--out-dir <dir>', 'folder for the pruned variants, one subfolder each (required)')
      .option('--targets <list>', 'FLOPs reductions, comma-separated (default: 0.1,0.2,...,0.7)')
      .option('--multiple <n>', 'round kept channel counts to a multiple of n (default: 1)')
      .option('--fine-tune-epochs <n>', 'epochs of fine-tuning per variant (default: 1)')
      .option('--control', 'also fine-tune the unpruned model the same way (variant <arch>-ft)')
      .option('--results <file>', 'write the results JSON here')
      .option('--rounds <n>', 'interleaved latency rounds (default: 5)')
      .option('--runs <n>', 'inferences per model per round (default: 100)'),
  ).action(async (_options, command: Command) => {
    const config = resolveConfig(modelSweepSchema, 'model', command);
    const runtime = await loadRuntime(config.backend);
    const dirs = [config.model];
    const parent = await loadLayers(runtime.tf, config.model);
    const base = parent.architecture;
    parent.model.dispose();
    for (const target of [...(config.control ? [0] : []), ...config.targets]) {
      const name =
        target === 0
          ? 'ft'
          : `p${Math.round(target * 100)}${config.multiple > 1 ? `-x${config.multiple}` : ''}`;
      const dir = `${config.outDir}/${base}-${name}`;
      const bar = progressBar(name);
      const outcome = await pruneVariant(
        runtime.tf,
        pruneRequest({ ...config, out: dir, target, variant: undefined }, runtime.backend),
        bar.onProgress,
      ).finally(bar.stop);
      out(summary(outcome.manifest));
      await signIfKey(dir, config.key);
      dirs.push(dir);
    }
    await reportResults(runtime, dirs, { ...config, out: config.results });
  });

  model
    .command('eval')
    .description('measure models: test accuracy, FLOPs, parameters, size, latency, estimated energy')
    .argument('<models...>', 'model folders')
    .option('--data <dir>', 'Fashion-MNIST idx files (default: /usr/share/datasets/fashion-mnist)')
    .option('--test-limit <n>', 'first n test images, 0 = all 10,000 (default: 0)')
    .option('--out <file>', 'also write the results JSON (the committed table is models/results/*.json)')
    .option('--rounds <n>', 'interleaved latency rounds (default: 5)')
    .option('--runs <n>', 'inferences per model per round (default: 100)')
    .option('--backend <tensorflow|wasm|cpu>', 'start the backend search here')
    .option('--config <path>', 'JSON config file (section "model")')
    .action(async (paths: string[], _options, command: Command) => {
      const config = resolveConfig(modelResultsSchema, 'model', command);
      await reportResults(await loadRuntime(config.backend), paths, config);
    });

  model
    .command('flops')
    .description('count multiply-adds and parameters of an architecture or a model folder, layer by layer')
    .argument(
      '<what>',
      `a model folder, or an architecture: ${[...ARCHITECTURE_NAMES, 'mobilenet-v1'].join(', ')}`,
    )
    .action(async (what: string) => {
      const { tf } = await loadRuntime();
      const built =
        what === 'mobilenet-v1'
          ? buildMobileNetV1(tf)
          : ARCHITECTURE_NAMES.includes(what)
            ? architectureByName(what).build(tf, 1)
            : (await loadLayers(tf, what)).model;
      const cost = countCost(built);
      for (const layer of cost.layers.filter((l) => l.macs > 0 || l.params > 0))
        out(
          `${layer.name.padEnd(12)} ${layer.className.padEnd(16)} ${String(layer.macs).padStart(12)} MACs ${String(layer.params).padStart(9)} params  → [${layer.outputShape.join(', ')}]\n`,
        );
      out(
        `total: ${cost.macs} multiply-adds (${(cost.macs / 1e6).toFixed(2)} M), ${cost.params} parameters\n`,
      );
      built.dispose();
    });

  model
    .command('subset')
    .description(
      'write the first n training and test examples as gzipped idx files (how the test fixture was made)',
    )
    .option('--data <dir>', 'source idx files (default: /usr/share/datasets/fashion-mnist)')
    .option('--out <dir>', 'folder to write (required)')
    .option('--train <n>', 'training examples (default: 2000)')
    .option('--test <n>', 'test examples (default: 500)')
    .action(async (_options, command: Command) => {
      const config = resolveConfig(modelSubsetSchema, 'model', command);
      const written = await writeSubset(config.data, config.out, { train: config.train, t10k: config.test });
      for (const { file, bytes } of written) out(`${config.out}/${file}: ${bytes} bytes\n`);
    });

  addKeyCommands(model);

  return model;
}

async function reportResults(
  runtime: Awaited<ReturnType<typeof loadRuntime>>,
  paths: readonly string[],
  config: { data: string; testLimit: number; rounds: number; runs: number; out?: string },
): Promise<void> {
  const testSet = await loadTestSet(config.data, config.testLimit);
  const results = await measureArtifacts(runtime.tf, paths, testSet, {
    rounds: config.rounds,
    runsPerRound: config.runs,
  });
  out(`${resultsTable(results)}\n`);
  out(
    `accuracy on ${testSet.source}; latency on this machine (${runtime.backend}); energy is ESTIMATED per board ` +
      "profile from this host's latency and CPU time (no power sensor).\n",
  );
  if (config.out !== undefined) {
    await writeResults(config.out, results, {
      command: commandLine(),
      backend: runtime.backend,
      dataset: testSet.source,
    });
    out(`results written to ${config.out}\n`);
  }
}
