// Config schemas of `edgewatt model ...` (zod, defaults in code). Numbers may arrive as text
// from the environment or the command line and are parsed strictly.

import { z } from 'zod';
import { DEFAULT_DATASET_DIR } from '../../models/data/fashion-mnist.js';
import { BACKENDS } from '../../runtime/backend.js';

const numberFrom = (schema: z.ZodNumber) =>
  z.preprocess((value) => {
    if (typeof value !== 'string' || value.trim() === '') return value;
    const parsed = Number(value);
    return Number.isNaN(parsed) ? value : parsed;
  }, schema);
const number = () => z.number({ error: (issue) => `expected a number, got ${JSON.stringify(issue.input)}` });
const fraction = numberFrom(
  number().gt(0, 'must be above 0 (e.g. 0.5 for 50 %)').lt(1, 'must be below 1 (e.g. 0.5 for 50 %)'),
);

const common = {
  data: z.string().default(DEFAULT_DATASET_DIR),
  backend: z.enum(BACKENDS).optional(),
  seed: numberFrom(number().int()).default(1),
  batchSize: numberFrom(number().int().min(1).max(4096)).default(128),
  decay: numberFrom(number().gt(0).max(1)).default(0.5),
  trainLimit: numberFrom(number().int().min(0)).default(0),
  testLimit: numberFrom(number().int().min(0)).default(0),
  key: z.string().optional(),
  variant: z.string().min(1).optional(),
};

export const modelTrainSchema = z.object({
  ...common,
  arch: z.string().min(1, 'give an architecture: cnn or dscnn'),
  out: z.string().min(1, 'give the folder to write the model to'),
  epochs: numberFrom(number().int().min(1).max(1000)).default(3),
  learningRate: numberFrom(number().gt(0).max(1)).default(0.002),
});

export const modelPruneSchema = z.object({
  ...common,
  model: z.string().min(1, 'give the trained model folder to prune'),
  out: z.string().min(1, 'give the folder to write the pruned model to'),
  /** 0 is allowed here: fine-tuning without pruning, the control for the pruned variants. */
  target: numberFrom(
    number().min(0, 'must be 0 (fine-tune only) or above').lt(1, 'must be below 1 (e.g. 0.5 for 50 %)'),
  ),
  multiple: numberFrom(number().int().min(1).max(128)).default(1),
  fineTuneEpochs: numberFrom(number().int().min(0).max(100)).default(1),
  learningRate: numberFrom(number().gt(0).max(1)).default(0.0005),
});

export const modelSweepSchema = modelPruneSchema.omit({ out: true, target: true, variant: true }).extend({
  /** Also fine-tune the unpruned model the same way (variant <arch>-ft), as a control. */
  control: z.preprocess((value) => value === true || value === 'true', z.boolean()).default(false),
  outDir: z.string().min(1, 'give the folder for the pruned variants'),
  targets: z
    .preprocess(
      (value) => (typeof value === 'string' ? value.split(',').map((part) => Number(part.trim())) : value),
      z.array(fraction).min(1),
    )
    .default([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]),
  results: z.string().optional(),
  rounds: numberFrom(number().int().min(1)).default(5),
  runs: numberFrom(number().int().min(1)).default(100),
});

export const modelResultsSchema = z.object({
  data: common.data,
  backend: common.backend,
  testLimit: common.testLimit,
  out: z.string().optional(),
  rounds: numberFrom(number().int().min(1)).default(5),
  runs: numberFrom(number().int().min(1)).default(100),
});

export const modelSubsetSchema = z.object({
  data: common.data,
  out: z.string().min(1, 'give the folder to write the subset to'),
  train: numberFrom(number().int().min(1).max(60_000)).default(2000),
  test: numberFrom(number().int().min(1).max(10_000)).default(500),
});

export const modelKeygenSchema = z.object({
  out: z.string().min(1, 'give a path prefix, e.g. keys/edgewatt-models'),
});

export const modelSignSchema = z.object({
  key: z.string().min(1, 'give the private key (PEM) written by "edgewatt model keygen"'),
});

export const modelVerifySchema = z.object({
  trustedKey: z.preprocess(
    (value) => (typeof value === 'string' ? value.split(',').filter((part) => part !== '') : value),
    z.array(z.string().min(1)).min(1, 'give at least one public key (PEM) to trust'),
  ),
});
