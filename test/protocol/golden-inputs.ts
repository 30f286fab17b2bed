// The fixed inputs of the golden vectors (test/protocol/golden/) and the file each one's bytes
// are pinned in. golden.test.ts checks them; `node --import tsx test/protocol/golden-write.ts`
// writes the files of vectors added here that have no file yet (it never overwrites one).

import type {
  DeploymentMessage,
  Encoding,
  FeedbackMessage,
  InferenceBatch,
  Message,
  OffloadBatch,
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

const offloadBase = {
  modelId: MODEL_ID,
  variant: 'pruned-50',
  energyProvenance: 'measured',
  sensor: 'ina219',
  deviceBaselineW: 2.712345,
  requestBytes: 3136,
  policy: 'fixed',
} as const;

const serverAnswer = {
  serverId: 'dc-fra-1',
  serverRegion: 'DE',
  serverPueClass: 'hyperscale',
  serverEnergyProvenance: 'rapl',
  httpStatus: 200,
  fallback: 'none',
  outcome: 'ok',
} as const;

/** Fixed input: three answered requests, one of them in a server batch of 4, in an experiment. */
const OFFLOAD_OK: OffloadBatch = {
  v: 1,
  type: 'offload',
  device: 'rpi4-lab-01',
  records: [
    {
      ...offloadBase,
      ...serverAnswer,
      seq: 2001,
      startUs: 1_731_000_010_000_000,
      experiment: 'prune-vs-offload-2026',
      arm: 'dense-offload',
      inputSource: 'dataset',
      roundTripS: 0.023456,
      deviceEnergyJ: 0.061234567,
      deviceEnergyUncertaintyJ: 0.000812,
      responseBytes: 412,
      socketBytesSent: 3391,
      socketBytesReceived: 598,
      prediction: 7,
      serverEnergyJ: 0.004321,
      serverEnergyUncertaintyJ: 0.0009,
      serverIdleShareJ: 0.0123,
      serverBatchSize: 1,
      serverLatencyS: 0.011,
    },
    {
      ...offloadBase,
      ...serverAnswer,
      seq: 2002,
      startUs: 1_731_000_010_100_000,
      experiment: 'prune-vs-offload-2026',
      arm: 'dense-offload',
      inputSource: 'dataset',
      roundTripS: 0.031,
      deviceEnergyJ: 0.07,
      deviceEnergyUncertaintyJ: 0.000812,
      responseBytes: 412,
      socketBytesSent: 3391,
      socketBytesReceived: 598,
      prediction: 3,
      serverEnergyJ: 0.0011,
      serverEnergyUncertaintyJ: 0.0004,
      serverIdleShareJ: 0.0031,
      serverBatchSize: 4,
      serverLatencyS: 0.019,
    },
    {
      ...offloadBase,
      ...serverAnswer,
      seq: 2003,
      startUs: 1_731_000_010_200_000,
      experiment: 'prune-vs-offload-2026',
      arm: 'dense-offload',
      inputSource: 'dataset',
      roundTripS: 0.022,
      deviceEnergyJ: 0.0599,
      deviceEnergyUncertaintyJ: 0.000812,
      responseBytes: 411,
      socketBytesSent: 3391,
      socketBytesReceived: 597,
      prediction: 7,
      serverEnergyJ: 0.0043,
      serverEnergyUncertaintyJ: 0.0009,
      serverIdleShareJ: 0.0122,
      serverBatchSize: 1,
      serverLatencyS: 0.0105,
    },
  ],
};

/**
 * Fixed input: failures without fallback (a timeout, a 429, a reset connection): no server
 * fields, no prediction, with the HTTP status where one arrived; the server was estimated elsewhere.
 */
const OFFLOAD_FAILURE: OffloadBatch = {
  v: 1,
  type: 'offload',
  device: 'rpi4-lab-01',
  records: [
    {
      ...offloadBase,
      seq: 2004,
      startUs: 1_731_000_010_300_000,
      roundTripS: 2,
      deviceEnergyJ: 5.4,
      deviceEnergyUncertaintyJ: 0.0021,
      responseBytes: 0,
      socketBytesSent: 3391,
      socketBytesReceived: 0,
      outcome: 'timeout',
      fallback: 'none',
    },
    {
      ...offloadBase,
      seq: 2005,
      startUs: 1_731_000_012_300_000,
      roundTripS: 0.004,
      deviceEnergyJ: 0.0101,
      deviceEnergyUncertaintyJ: 0.0005,
      responseBytes: 57,
      socketBytesSent: 3391,
      socketBytesReceived: 212,
      outcome: 'refused',
      httpStatus: 429,
      fallback: 'none',
    },
    {
      ...offloadBase,
      seq: 2006,
      startUs: 1_731_000_012_400_000,
      roundTripS: 0.0015,
      deviceEnergyJ: 0.0041,
      deviceEnergyUncertaintyJ: 0.0005,
      responseBytes: 0,
      socketBytesSent: 1448,
      socketBytesReceived: 0,
      outcome: 'connection-reset',
      fallback: 'none',
    },
  ],
};

/** Fixed input: auto placement, the server unreachable and then 5xx: both fell back to the edge. */
const OFFLOAD_FALLBACK: OffloadBatch = {
  v: 1,
  type: 'offload',
  device: 'rpi4-lab-01',
  records: [
    {
      ...offloadBase,
      seq: 2008,
      startUs: 1_731_000_020_000_000,
      policy: 'auto-comparison',
      roundTripS: 0.000812,
      deviceEnergyJ: 0.0022,
      deviceEnergyUncertaintyJ: 0.0005,
      requestBytes: 0,
      responseBytes: 0,
      socketBytesSent: 0,
      socketBytesReceived: 0,
      outcome: 'unreachable',
      fallback: 'edge',
    },
    {
      ...offloadBase,
      seq: 2009,
      startUs: 1_731_000_021_000_000,
      policy: 'auto-fallback',
      energyProvenance: 'estimated',
      sensor: 'simulated:rpi4',
      roundTripS: 0.0415,
      deviceEnergyJ: 0.1,
      deviceEnergyUncertaintyJ: 0.01,
      responseBytes: 96,
      socketBytesSent: 3391,
      socketBytesReceived: 251,
      outcome: 'http-error',
      httpStatus: 503,
      fallback: 'edge',
    },
  ],
};

/** Fixed input: auto placement offloading an input the comparison kept on the board (--offload-explore), answered. */
const OFFLOAD_EXPLORE: OffloadBatch = {
  v: 1,
  type: 'offload',
  device: 'rpi4-lab-01',
  records: [
    {
      ...offloadBase,
      ...serverAnswer,
      seq: 2012,
      startUs: 1_731_000_030_000_000,
      policy: 'auto-explore',
      roundTripS: 0.0241,
      deviceEnergyJ: 0.0634,
      deviceEnergyUncertaintyJ: 0.000815,
      responseBytes: 412,
      socketBytesSent: 3391,
      socketBytesReceived: 598,
      prediction: 2,
      serverEnergyJ: 0.0041,
      serverEnergyUncertaintyJ: 0.0009,
      serverIdleShareJ: 0.0119,
      serverBatchSize: 1,
      serverLatencyS: 0.0101,
    },
  ],
};

/**
 * Fixed input: requests whose inputs came with their true class (a labelled dataset): an answered
 * one, right, and a failed one that fell back to the edge (labelled, no prediction).
 */
const OFFLOAD_LABELLED: OffloadBatch = {
  v: 1,
  type: 'offload',
  device: 'rpi4-lab-01',
  records: [
    { ...(OFFLOAD_OK.records[0] as OffloadBatch['records'][number]), seq: 2010, label: 7 },
    { ...(OFFLOAD_FALLBACK.records[0] as OffloadBatch['records'][number]), seq: 2011, label: 2 },
  ],
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
  ['offload-ok.cbor.hex', OFFLOAD_OK, 'cbor'],
  ['offload-ok.json', OFFLOAD_OK, 'json'],
  ['offload-failure.cbor.hex', OFFLOAD_FAILURE, 'cbor'],
  ['offload-failure.json', OFFLOAD_FAILURE, 'json'],
  ['offload-fallback.cbor.hex', OFFLOAD_FALLBACK, 'cbor'],
  ['offload-fallback.json', OFFLOAD_FALLBACK, 'json'],
  ['offload-explore.cbor.hex', OFFLOAD_EXPLORE, 'cbor'],
  ['offload-explore.json', OFFLOAD_EXPLORE, 'json'],
  ['offload-labelled.cbor.hex', OFFLOAD_LABELLED, 'cbor'],
  ['offload-labelled.json', OFFLOAD_LABELLED, 'json'],
];
