// The fixed inputs of the golden vectors (test/protocol/golden/) and the file each one's bytes
// are pinned in. golden.test.ts checks them; `node --import tsx test/protocol/golden-write.ts`
// writes the files of vectors added here that have no file yet (it never overwrites one).

import type {
  DeploymentMessage,
  Encoding,
  FeedbackMessage,
  InferenceBatch,
  Message,
  StatusMessage,
} from '../../protocol/index.js';

const MODEL_ID = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

const base = {
  sensor: 'ina219',
  modelId: MODEL_ID,
  variant: 'pruned-50',
  backend: 'wasm',
  batchSize: 1,
  inputBytes: 3136,
  outputBytes: 40,
  baselineW: 2.712345,
} as const;

/** Fixed input: varying and constant columns, correct true/false/null, mixed provenance. */
export const INFERENCE_3: InferenceBatch = {
  v: 1,
  type: 'inference',
  device: 'rpi4-lab-01',
  records: [
    {
      ...base,
      seq: 1041,
      startUs: 1_731_000_000_000_000,
      durationUs: 8_250,
      energyJ: 0.031415926,
      energyUncertaintyJ: 0.000412,
      sampleCount: 9,
      provenance: 'measured',
      correct: true,
    },
    {
      ...base,
      seq: 1042,
      startUs: 1_731_000_000_012_500,
      durationUs: 8_113,
      energyJ: 0.030999001,
      energyUncertaintyJ: 0.000412,
      sampleCount: 8,
      provenance: 'measured',
      correct: false,
    },
    {
      ...base,
      seq: 1043,
      startUs: 1_731_000_000_025_001,
      durationUs: 8_200,
      energyJ: 0.0305,
      energyUncertaintyJ: 0.0031,
      sampleCount: 0,
      provenance: 'estimated',
      sensor: 'simulated:rpi4',
      correct: null,
    },
  ],
};

/** Fixed input: INFERENCE_3 in an experiment, arms and placements varying by record. */
const INFERENCE_3_EXPERIMENT: InferenceBatch = {
  ...INFERENCE_3,
  records: INFERENCE_3.records.map((record, i) => ({
    ...record,
    experiment: 'prune-vs-offload-2026',
    arm: ['dense-edge', 'pruned-edge', 'pruned-offload'][i] as string,
    placement: i === 2 ? ('offload' as const) : ('edge' as const),
  })),
};

/**
 * Fixed input: the experiment fields on some records only (null in their columns for the others),
 * next to the attribution method: what a board sends in the batch where an experiment starts.
 */
const INFERENCE_3_EXPERIMENT_STARTS: InferenceBatch = {
  ...INFERENCE_3,
  records: INFERENCE_3.records.map((record, i) =>
    i === 0
      ? { ...record, method: 'single' as const, windowInferences: 1 }
      : {
          ...record,
          experiment: 'prune-vs-offload-2026',
          arm: 'pruned-edge',
          placement: 'edge' as const,
          method: 'batched' as const,
          windowInferences: 4,
        },
  ),
};

/** Fixed input: a batched window's records with the baseline's uncertainty (re-measured in idle gaps). */
const INFERENCE_3_BASELINE_UNCERTAINTY: InferenceBatch = {
  ...INFERENCE_3,
  records: INFERENCE_3.records.map((record) => ({
    ...record,
    method: 'batched' as const,
    windowInferences: 3,
    baselineUncertaintyW: 0.012345,
  })),
};

/** Fixed input: records fed by the local API, a dataset and a file folder (one source each). */
const INFERENCE_3_INPUT_SOURCE: InferenceBatch = {
  ...INFERENCE_3,
  records: INFERENCE_3.records.map((record, i) => ({
    ...record,
    inputSource: (['http', 'dataset', 'dir'] as const)[i] ?? 'http',
  })),
};

/** Fixed input: ground truth for a record, given later (its answer was wrong). */
const FEEDBACK: FeedbackMessage = {
  v: 1,
  type: 'feedback',
  device: 'rpi4-lab-01',
  seq: 1042,
  label: 7,
  correct: false,
  atUs: 1_731_000_003_000_000,
};

/** Fixed input: an online birth message with every optional field. */
const STATUS: StatusMessage = {
  v: 1,
  type: 'status',
  device: 'rpi4-lab-01',
  state: 'online',
  seq: 1041,
  atUs: 1_730_999_999_000_000,
  board: 'rpi4',
  sensor: 'ina219',
  backend: 'wasm',
  modelId: MODEL_ID,
  variant: 'pruned-50',
  agentVersion: '0.1.0',
};

/** Fixed input: a deployment transition with only the required fields (mid-download). */
const DEPLOYMENT_DOWNLOADING: DeploymentMessage = {
  v: 1,
  type: 'deployment',
  device: 'rpi4-lab-01',
  seq: 17,
  atUs: 1_731_000_100_000_000,
  deploymentId: 'rollout-7',
  modelId: MODEL_ID,
  release: 3,
  state: 'downloading',
  bytes: 131_072,
  attempt: 1,
};

/** Fixed input: a rollback after a failed probation, with every optional field. */
const DEPLOYMENT_ROLLED_BACK: DeploymentMessage = {
  v: 1,
  type: 'deployment',
  device: 'rpi4-lab-01',
  seq: 23,
  atUs: 1_731_000_460_500_000,
  deploymentId: 'rollout-7',
  modelId: MODEL_ID,
  release: 3,
  state: 'rolled-back',
  reason: 'probation-failed',
  detail: '3 inference errors in probation (limit 0)',
  bytes: 244_376,
  previousModelId: 'ccd5caa4f0155c9d8c2a9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f',
  attempt: 2,
};

/** Golden file name, the message, its encoding. */
export const GOLDEN_VECTORS: readonly (readonly [name: string, message: Message, encoding: Encoding])[] = [
  ['inference-3.cbor.hex', INFERENCE_3, 'cbor'],
  ['inference-3.json', INFERENCE_3, 'json'],
  ['inference-3-experiment.cbor.hex', INFERENCE_3_EXPERIMENT, 'cbor'],
  ['inference-3-experiment.json', INFERENCE_3_EXPERIMENT, 'json'],
  ['inference-3-experiment-starts.cbor.hex', INFERENCE_3_EXPERIMENT_STARTS, 'cbor'],
  ['inference-3-experiment-starts.json', INFERENCE_3_EXPERIMENT_STARTS, 'json'],
  ['inference-3-baseline-uncertainty.cbor.hex', INFERENCE_3_BASELINE_UNCERTAINTY, 'cbor'],
  ['inference-3-baseline-uncertainty.json', INFERENCE_3_BASELINE_UNCERTAINTY, 'json'],
  ['inference-3-input-source.cbor.hex', INFERENCE_3_INPUT_SOURCE, 'cbor'],
  ['inference-3-input-source.json', INFERENCE_3_INPUT_SOURCE, 'json'],
  ['feedback.cbor.hex', FEEDBACK, 'cbor'],
  ['feedback.json', FEEDBACK, 'json'],
  ['status.cbor.hex', STATUS, 'cbor'],
  ['status.json', STATUS, 'json'],
  ['deployment-downloading.cbor.hex', DEPLOYMENT_DOWNLOADING, 'cbor'],
  ['deployment-downloading.json', DEPLOYMENT_DOWNLOADING, 'json'],
  ['deployment-rolled-back.cbor.hex', DEPLOYMENT_ROLLED_BACK, 'cbor'],
  ['deployment-rolled-back.json', DEPLOYMENT_ROLLED_BACK, 'json'],
];
