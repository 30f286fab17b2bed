// `edgewatt model prune`: loads a trained artifact, removes the lowest-L1 channels of every
// prunable layer until the FLOPs target is met (optionally in blocks of 8 or 16 channels),
// fine-tunes the smaller model, measures it, and writes it with a manifest naming its parent.

import type { ModelManifest } from '../../protocol/manifest/index.js';
import type { Tf } from '../../runtime/backend.js';
import { accuracyOn } from '../analysis/evaluate.js';
import { countCost } from '../analysis/flops.js';
import { buildManifest, writeManifest } from '../artifact/manifest.js';
import { loadLayers, saveArtifact } from '../artifact/save.js';
import { loadSplit } from '../data/fashion-mnist.js';
import { applyPlan, planPruning } from '../prune/plan.js';
import { removeChannels } from '../prune/surgery.js';
import { inheritedTraining, type StepEnergyMeter } from '../train/step-energy.js';
import { type EpochResult, type TrainProgress, train } from '../train/trainer.js';
import { loadTestSet } from './train.js';

export interface PruneRequest {
  model: string;
  dataDir: string;
  out: string;
  variant?: string;
  /** Fraction of multiply-adds to remove, 0–1; 0 fine-tunes the parent unpruned (a control). */
  targetFlopsReduction: number;
  /** Round kept channel counts to this multiple (1 = no rounding; 8 or 16 for SIMD/accelerators). */
  channelMultiple: number;
  fineTuneEpochs: number;
  batchSize: number;
  learningRate: number;
  decay: number;
  seed: number;
  trainLimit: number;
  testLimit: number;
  backend: string;
  /** Measures the energy of the step (ranking, surgery, fine-tuning, evaluation) for the manifest. */
  meter?: StepEnergyMeter;
}

export interface PruneOutcome {
  manifest: ModelManifest;
  /** Test accuracy right after removing channels, before fine-tuning. */
  accuracyBeforeFineTune: number;
  epochs: EpochResult[];
  dir: string;
}

export async function pruneVariant(
  tf: Tf,
  request: PruneRequest,
  onProgress?: (progress: TrainProgress) => void,
): Promise<PruneOutcome> {
  const metering = request.meter?.start();
  const parent = await loadLayers(tf, request.model);
  const testSet = await loadTestSet(request.dataDir, request.testLimit);
  const plan =
    request.targetFlopsReduction > 0
      ? await planPruning(tf, parent.model, request.targetFlopsReduction, request.channelMultiple)
      : null;
  // Target 0: the same fine-tuning on an unpruned copy, to tell pruning from extra training.
  const pruned =
    plan === null
      ? await removeChannels(tf, parent.model, new Map())
      : await applyPlan(tf, parent.model, plan);
  const accuracyBeforeFineTune = accuracyOn(tf, pruned, testSet).accuracy;
  let epochs: EpochResult[] = [];
  let trainExamples = 0;
  if (request.fineTuneEpochs > 0) {
    const trainSet = await loadSplit(request.dataDir, 'train', request.trainLimit);
    trainExamples = trainSet.count;
    epochs = await train(
      tf,
      pruned,
      trainSet,
      {
        epochs: request.fineTuneEpochs,
        batchSize: request.batchSize,
        learningRate: request.learningRate,
        decay: request.decay,
        seed: request.seed,
      },
      onProgress,
    );
  }
  const accuracy = accuracyOn(tf, pruned, testSet);
  const cost = countCost(pruned);
  const pruningEnergy = metering?.stop();
  const trainingEnergy = inheritedTraining(parent.artifact.id, parent.manifest);
  const percent = Math.round(request.targetFlopsReduction * 100);
  const variant =
    request.variant ??
    (plan === null
      ? `${parent.architecture}-ft`
      : `${parent.architecture}-p${percent}${request.channelMultiple > 1 ? `-x${request.channelMultiple}` : ''}`);
  const saved = await saveArtifact(tf, pruned, request.out, { variant, architecture: parent.architecture });
  const manifest = buildManifest(saved, {
    variant,
    architecture: parent.architecture,
    parent: parent.artifact.id,
    pruning: plan && {
      method: 'l1-structured',
      targetFlopsReduction: request.targetFlopsReduction,
      flopsReduction: plan.flopsReduction,
      channelFraction: plan.channelFraction,
      channelMultiple: request.channelMultiple,
      keptChannels: plan.keepCounts,
      fineTuneEpochs: request.fineTuneEpochs,
      accuracyBeforeFineTune,
    },
    flops: cost.macs,
    params: cost.params,
    accuracy: { top1: accuracy.accuracy, dataset: 'fashion-mnist t10k', examples: accuracy.examples },
    inputShape: [28, 28, 1],
    training: {
      seed: request.seed,
      epochs: request.fineTuneEpochs,
      examples: trainExamples,
      backend: request.backend,
    },
    ...(trainingEnergy === undefined ? {} : { trainingEnergy }),
    ...(pruningEnergy === undefined ? {} : { pruningEnergy }),
  });
  await writeManifest(request.out, manifest);
  pruned.dispose();
  parent.model.dispose();
  return { manifest, accuracyBeforeFineTune, epochs, dir: request.out };
}
