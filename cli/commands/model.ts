// `edgewatt model ...`: train, prune, measure, import, sign and verify model artifacts (see docs/models.md).

import { readdir } from 'node:fs/promises';
import { Command } from 'commander';
import { countCost } from '../../models/analysis/flops.js';
import { ARCHITECTURE_NAMES, architectureByName } from '../../models/arch/index.js';
import { buildMobileNetV1 } from '../../models/arch/mobilenet-v1.js';
import { loadLayers } from '../../models/artifact/save.js';
import { loadLabelledSet } from '../../models/data/labelled.js';
import { writeSubset } from '../../models/data/subset.js';
import { evaluateServed } from '../../models/pipeline/eval-served.js';
import { type PruneRequest, pruneVariant } from '../../models/pipeline/prune.js';
import {
  measureArtifacts,
  resultsFile,
  type VariantResult,
  writeResults,
} from '../../models/pipeline/results.js';
import { loadTestSet, trainVariant } from '../../models/pipeline/train.js';
import { readPrivateKey, signArtifactDir } from '../../models/sign/keys.js';
import { BOARDS } from '../../protocol/boards/index.js';
import { type StepEnergy, TRUST_ANY, verifyModelArtifact } from '../../protocol/manifest/index.js';
import { loadRuntime } from '../../runtime/backend.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import {
  modelPruneSchema,
  modelResultsSchema,
  modelSubsetSchema,
  modelSweepSchema,
  modelTrainSchema,
} from '../schemas/model.js';
import { chooseStepMeter } from './model-energy.js';
import { addImportCommand } from './model-import.js';
import { addKeyCommands } from './model-keys.js';
import { progressBar, resultsTable } from './model-output.js';

const out = (text: string) => process.stdout.write(text);

const warnLine = (line: string) => process.stderr.write(`${line}\n`);

/** `energy of training: 9.21 kJ (4.61–13.8 kJ), estimated (cpu-time × host power)` */
function energyLine(what: string, e: StepEnergy | undefined): string {
  if (e === undefined) return '';
  const kJ = (j: number) =>
    j >= 1e6
      ? `${(j / 1e6).toPrecision(3)} MJ`
      : j >= 1e3
        ? `${(j / 1e3).toPrecision(3)} kJ`
        : `${j.toPrecision(3)} J`;
  return `energy of ${what}: ${kJ(e.energyJ)} (${kJ(e.lowJ)}–${kJ(e.highJ)}), ${e.provenance} (${e.method}), ${e.cpuS.toFixed(0)} s CPU in ${e.wallS.toFixed(0)} s; written to the manifest\n`;
}

const commandLine = () => `edgewatt ${process.argv.slice(2).join(' ')}`;

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
    meter: chooseStepMeter('/', warnLine),
  };
}

export function modelCommand(): Command {
  const model = new Command('model').description('train, prune, evaluate, sign and verify model artifacts');

  addSchemaOptions(model.command('train'), modelTrainSchema, 'model')
    .description('train a model on Fashion-MNIST and write it with its manifest')
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(modelTrainSchema, 'model', command);
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
          meter: chooseStepMeter('/', warnLine),
        },
        bar.onProgress,
      ).finally(bar.stop);
      for (const e of outcome.epochs)
        out(
          `epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, accuracy ${(e.accuracy * 100).toFixed(2)} %, ${(e.durationMs / 1000).toFixed(0)} s\n`,
        );
      out(summary(outcome.manifest));
      out(energyLine('training', outcome.manifest.trainingEnergy));
      await signIfKey(config.out, config.key);
    });

  addSchemaOptions(model.command('prune'), modelPruneSchema, 'model')
    .description('remove the lowest-L1 channels to a FLOPs target, fine-tune, and write the smaller model')
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(modelPruneSchema, 'model', command);
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
      out(energyLine('pruning', outcome.manifest.pruningEnergy));
      await signIfKey(config.out, config.key);
    });

  addSchemaOptions(model.command('sweep'), modelSweepSchema, 'model')
    .description('prune one model to several FLOPs targets and write the results table')
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(modelSweepSchema, 'model', command);
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

  addSchemaOptions(model.command('eval'), modelResultsSchema, 'model')
    .description(
      'measure models (TF.js or ONNX): accuracy on a labelled set, FLOPs, parameters, size, latency, estimated energy',
    )
    .argument('<models...>', 'model folders or .onnx files')
    .action(async (paths: string[], _options, command: Command) => {
      const config = await resolveConfig(modelResultsSchema, 'model', command);
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

  addSchemaOptions(model.command('subset'), modelSubsetSchema, 'model')
    .description(
      'write the first n training and test examples as gzipped idx files (how the test fixture was made)',
    )
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(modelSubsetSchema, 'model', command);
      const written = await writeSubset(config.data, config.out, { train: config.train, t10k: config.test });
      for (const { file, bytes } of written) out(`${config.out}/${file}: ${bytes} bytes\n`);
    });

  addKeyCommands(model);
  addImportCommand(model);

  return model;
}

async function reportResults(
  runtime: Awaited<ReturnType<typeof loadRuntime>>,
  paths: readonly string[],
  config: { data: string; testLimit: number; rounds: number; runs: number; out?: string; json?: boolean },
): Promise<void> {
  const latency = { rounds: config.rounds, runsPerRound: config.runs };
  const generic = !(await isFashionMnistRun(config.data, paths));
  let results: VariantResult[];
  let dataset: string;
  if (generic) {
    const evaluated = await evaluateServed(
      runtime.tf,
      paths,
      (model) =>
        loadLabelledSet(config.data, model.inputShape, {
          limit: config.testLimit,
          modelLabels: model.manifest?.labels,
        }),
      latency,
    );
    results = evaluated.results;
    dataset = [...new Set(evaluated.sources)].join('; ');
  } else {
    const testSet = await loadTestSet(config.data, config.testLimit);
    results = await measureArtifacts(runtime.tf, paths, testSet, latency);
    dataset = testSet.source;
  }
  const context = {
    command: commandLine(),
    backend: runtime.backend,
    dataset,
    ...(generic ? { title: `edgewatt models on ${config.data}` } : {}),
  };
  if (config.json === true) out(`${JSON.stringify(resultsFile(results, context), null, 2)}\n`);
  else {
    out(`${resultsTable(results)}\n`);
    out(
      `accuracy on ${dataset}; latency on this machine (${runtime.backend} for TF.js models, onnx-cpu/onnx-wasm for ONNX); energy is ESTIMATED per board ` +
        "profile from this host's latency and CPU time (no power sensor), scaled from this host's latency to the board's by the\n" +
        `board's speed factor, an UNSOURCED assumption with a range in the ±1σ (${BOARDS.map((b) => `${b.id} ×${b.hostSpeedFactor.central}`).join(', ')}; protocol/boards).\n`,
    );
  }
  if (config.out !== undefined) {
    await writeResults(config.out, results, context);
    if (config.json !== true) out(`results written to ${config.out}\n`);
  }
}

/**
 * Whether the Fashion-MNIST path runs (the one the committed results tables come from): a folder
 * with the t10k IDX pair and only TF.js layers models. Anything else (another dataset, an ONNX or
 * a graph model) is evaluated by evaluateServed, one input per call.
 */
async function isFashionMnistRun(data: string, paths: readonly string[]): Promise<boolean> {
  const hasT10k = await readdir(data).then(
    (names) => names.some((n) => n.startsWith('t10k-images-idx3-ubyte')),
    () => true, // let loadTestSet say what is missing, with the command that installs it
  );
  if (!hasT10k) return false;
  for (const path of paths) {
    const { artifact } = await verifyModelArtifact(path, TRUST_ANY);
    if (artifact.format !== 'tfjs' || artifact.json.format === 'graph-model') return false;
  }
  return true;
}
