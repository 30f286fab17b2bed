// `edgewatt model train`: builds an architecture with seeded weights, trains it on Fashion-MNIST,
// measures its accuracy on the test set, and writes the artifact with its manifest.

import type { ModelManifest } from '../../protocol/manifest/index.js';
import type { Tf } from '../../runtime/backend.js';
import { accuracyOn } from '../analysis/evaluate.js';
import { countCost } from '../analysis/flops.js';
import { architectureByName } from '../arch/index.js';
import { buildManifest, writeManifest } from '../artifact/manifest.js';
import { saveArtifact } from '../artifact/save.js';
import { type ImageSet, loadSplit } from '../data/fashion-mnist.js';
import type { StepEnergyMeter } from '../train/step-energy.js';
import { type EpochResult, type TrainProgress, train } from '../train/trainer.js';

export interface TrainRequest {
  architecture: string;
  dataDir: string;
  out: string;
  variant?: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  decay: number;
  seed: number;
  /** Train on the first n examples only (0 = all 60,000). */
  trainLimit: number;
  /** Measure accuracy on the first n test examples (0 = all 10,000). */
  testLimit: number;
  backend: string;
  /** Measures the energy of the step (data loading to evaluation) for the manifest; none: not recorded. */
  meter?: StepEnergyMeter;
}

export interface TrainOutcome {
  manifest: ModelManifest;
  epochs: EpochResult[];
  dir: string;
}

export async function loadTestSet(dataDir: string, limit: number): Promise<ImageSet> {
  return loadSplit(dataDir, 't10k', limit);
}

export async function trainVariant(
  tf: Tf,
  request: TrainRequest,
  onProgress?: (progress: TrainProgress) => void,
): Promise<TrainOutcome> {
  const architecture = architectureByName(request.architecture);
  const metering = request.meter?.start();
  const trainSet = await loadSplit(request.dataDir, 'train', request.trainLimit);
  const testSet = await loadTestSet(request.dataDir, request.testLimit);
  const model = architecture.build(tf, request.seed);
  const epochs = await train(
    tf,
    model,
    trainSet,
    {
      epochs: request.epochs,
      batchSize: request.batchSize,
      learningRate: request.learningRate,
      decay: request.decay,
      seed: request.seed,
    },
    onProgress,
  );
  const accuracy = accuracyOn(tf, model, testSet);
  const cost = countCost(model);
  const trainingEnergy = metering?.stop();
  const variant = request.variant ?? `${architecture.name}-base`;
  const saved = await saveArtifact(tf, model, request.out, { variant, architecture: architecture.name });
  const manifest = buildManifest(saved, {
    variant,
    architecture: architecture.name,
    parent: null,
    pruning: null,
    flops: cost.macs,
    params: cost.params,
    accuracy: { top1: accuracy.accuracy, dataset: 'fashion-mnist t10k', examples: accuracy.examples },
    inputShape: [28, 28, 1],
    training: {
      seed: request.seed,
      epochs: request.epochs,
      examples: trainSet.count,
      backend: request.backend,
    },
    ...(trainingEnergy === undefined ? {} : { trainingEnergy }),
  });
  await writeManifest(request.out, manifest);
  model.dispose();
  return { manifest, epochs, dir: request.out };
}
