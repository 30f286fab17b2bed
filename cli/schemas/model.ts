// Option schemas of `edgewatt model ...` (zod, defaults in code). Flags, help, EDGEWATT_*
// variables and config keys (section "model", shared by the subcommands) derive from them.

import { z } from 'zod';
import { ARCHITECTURE_NAMES } from '../../models/arch/index.js';
import { DEFAULT_DATASET_DIR } from '../../models/data/fashion-mnist.js';
import { BACKENDS } from '../../runtime/backend.js';
import { int, list, num, oneOf, onOff, option, text } from './fields.js';

const fraction = num({ above: 0, below: 1 });
const rounds = () => option(int({ min: 1 }).default(5), { arg: 'n', help: 'interleaved latency rounds' });
const runs = () => option(int({ min: 1 }).default(100), { arg: 'n', help: 'inferences per model per round' });
const data = () =>
  option(z.string().default(DEFAULT_DATASET_DIR), { arg: 'dir', help: 'Fashion-MNIST idx files' });
const backend = () =>
  option(oneOf(BACKENDS).optional(), {
    help: 'start the backend search here',
    defaultHelp: `${BACKENDS.join(', then ')}`,
  });
const testLimit = () =>
  option(int({ min: 0 }).default(0), {
    arg: 'n',
    help: 'measure accuracy on the first n test images, 0 = all 10,000',
  });
const learningRate = (defaultRate: number) =>
  option(num({ above: 0, max: 1 }).default(defaultRate), { arg: 'x', help: 'Adam learning rate' });
const variant = (defaultHelp: string) =>
  option(z.string().min(1).optional(), { arg: 'name', help: 'variant name', defaultHelp });

/** Options of every subcommand that trains (train, prune, sweep). */
const training = {
  data: data(),
  batchSize: option(int({ min: 1, max: 4096 }).default(128), {
    arg: 'n',
    help: 'examples per training step',
  }),
  decay: option(num({ above: 0, max: 1 }).default(0.5), {
    arg: 'x',
    help: 'learning rate × this after each epoch',
  }),
  seed: option(int().default(1), { arg: 'n', help: 'seed of weights and batch order' }),
  trainLimit: option(int({ min: 0 }).default(0), {
    arg: 'n',
    help: 'train on the first n examples, 0 = all 60,000',
  }),
  testLimit: testLimit(),
  key: option(z.string().optional(), { arg: 'pem', help: 'sign the manifest with this ed25519 private key' }),
  backend: backend(),
};

export const modelTrainSchema = z.object({
  arch: option(text('give an architecture: cnn or dscnn'), {
    arg: 'name',
    help: `architecture: ${ARCHITECTURE_NAMES.join(', ')}`,
  }),
  out: option(text('give the folder to write the model to'), {
    arg: 'dir',
    help: 'folder to write model.json, weights.bin, manifest.json',
  }),
  variant: variant('<arch>-base'),
  epochs: option(int({ min: 1, max: 1000 }).default(3), { arg: 'n', help: 'passes over the training set' }),
  learningRate: learningRate(0.002),
  ...training,
});

const pruneFields = {
  model: option(text('give the trained model folder to prune'), { arg: 'dir', help: 'trained model folder' }),
  multiple: option(int({ min: 1, max: 128 }).default(1), {
    arg: 'n',
    help: 'round kept channel counts to a multiple of n, e.g. 8 or 16',
  }),
  fineTuneEpochs: option(int({ min: 0, max: 100 }).default(1), {
    arg: 'n',
    help: 'epochs of fine-tuning after pruning',
  }),
  learningRate: learningRate(0.0005),
  ...training,
};

export const modelPruneSchema = z.object({
  ...pruneFields,
  out: option(text('give the folder to write the pruned model to'), {
    arg: 'dir',
    help: 'folder for the pruned model',
  }),
  /** 0 is allowed here: fine-tuning without pruning, the control for the pruned variants. */
  target: option(num({ min: 0, below: 1 }), {
    arg: 'fraction',
    help: 'fraction of multiply-adds to remove, e.g. 0.5; 0 = fine-tune only, the control',
  }),
  variant: variant('<arch>-p<target %>[-x<multiple>]'),
});

export const modelSweepSchema = z.object({
  ...pruneFields,
  outDir: option(text('give the folder for the pruned variants'), {
    arg: 'dir',
    help: 'folder for the pruned variants, one subfolder each',
  }),
  targets: option(
    list(fraction).pipe(z.array(z.number()).min(1)).default([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]),
    {
      arg: 'list',
      help: 'FLOPs reductions, comma-separated',
    },
  ),
  /** Also fine-tune the unpruned model the same way (variant <arch>-ft), as a control. */
  control: onOff('also fine-tune the unpruned model the same way (variant <arch>-ft)'),
  results: option(z.string().optional(), { arg: 'file', help: 'write the results JSON here' }),
  rounds: rounds(),
  runs: runs(),
});

export const modelResultsSchema = z.object({
  data: option(z.string().default(DEFAULT_DATASET_DIR), {
    arg: 'dir',
    help:
      'labelled test data: a Fashion-MNIST idx folder, a folder with one *images*idx3-ubyte[.gz] and one *labels*idx1-ubyte[.gz] file, ' +
      'or a folder of class subfolders of PNG/JPEG images (docs/models.md)',
  }),
  json: onOff('print the results JSON (what --out writes) instead of the table'),
  testLimit: testLimit(),
  out: option(z.string().optional(), {
    arg: 'file',
    help: 'also write the results JSON (the committed table is models/results/*.json)',
  }),
  rounds: rounds(),
  runs: runs(),
  backend: backend(),
});

export const modelSubsetSchema = z.object({
  data: option(z.string().default(DEFAULT_DATASET_DIR), { arg: 'dir', help: 'source idx files' }),
  out: option(text('give the folder to write the subset to'), { arg: 'dir', help: 'folder to write' }),
  train: option(int({ min: 1, max: 60_000 }).default(2000), { arg: 'n', help: 'training examples' }),
  test: option(int({ min: 1, max: 10_000 }).default(500), { arg: 'n', help: 'test examples' }),
});

export const modelKeygenSchema = z.object({
  out: option(text('give a path prefix, e.g. keys/edgewatt-models'), {
    arg: 'prefix',
    help: 'path prefix of the two files',
  }),
});

export const modelSignSchema = z.object({
  key: option(text('give the private key (PEM) written by "edgewatt model keygen"'), {
    arg: 'pem',
    help: 'private key from "edgewatt model keygen"',
  }),
  coSign: onOff(
    'keep the signatures already in manifest.sig and add this one (key rotation, docs/security.md)',
  ),
});

export const modelVerifySchema = z.object({
  trustedKey: option(
    list(z.string().min(1)).pipe(z.array(z.string()).min(1, 'give at least one public key (PEM) to trust')),
    {
      arg: 'pem',
      help: 'trusted public key; comma-separate several',
    },
  ),
});

export const modelImportSchema = z.object({
  out: option(text('give the folder to write the model and its manifest.json to'), {
    arg: 'dir',
    help: 'folder to write the model files and manifest.json (may be the source folder)',
  }),
  name: option(z.string().min(1).optional(), {
    arg: 'name',
    help: 'variant name',
    defaultHelp: "the source's file or folder name",
  }),
  architecture: option(z.string().min(1).optional(), {
    arg: 'name',
    help: 'architecture (model line) name',
    defaultHelp: 'imported-<format>',
  }),
  inputShape: option(
    list(int({ min: 1 }))
      .pipe(z.array(z.number()).min(1))
      .optional(),
    {
      arg: 'dims',
      help: 'shape of one input without the batch dimension, e.g. 28,28,1 (needed when the graph does not fix it)',
      defaultHelp: "the graph's",
    },
  ),
  labels: option(list(z.string().min(1)).pipe(z.array(z.string()).min(1)).optional(), {
    arg: 'names|@file',
    help: 'class names by output index: comma-separated, or @file with one per line',
    defaultHelp: 'none: classes are numbered',
  }),
  release: option(int({ min: 1 }).optional(), {
    arg: 'n',
    help: 'release number of the model line (deployments refuse a lower one)',
    defaultHelp: 'none (release 0)',
  }),
});

/** Every `model` subcommand's schema: they share the config section "model". */
export const MODEL_SCHEMAS = {
  train: modelTrainSchema,
  prune: modelPruneSchema,
  sweep: modelSweepSchema,
  eval: modelResultsSchema,
  subset: modelSubsetSchema,
  keygen: modelKeygenSchema,
  sign: modelSignSchema,
  verify: modelVerifySchema,
  import: modelImportSchema,
};
