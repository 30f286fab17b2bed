// The messages between the HTTP thread (compute-thread.ts) and the model's worker thread
// (compute-worker.ts): plain data, structured-cloned (bigint marks, a KeyObject in the trust),
// inputs and outputs transferred rather than copied.

import type { ModelTrust } from '../protocol/manifest/index.js';
import type { BackendName } from '../runtime/backend.js';
import type { ComputeMarks, MarkSource } from './energy/meter.js';
import type { ServedModel } from './model.js';

export interface ComputeWorkerData {
  modelPath: string;
  trust: ModelTrust;
  backend: BackendName | undefined;
  /** Warm-up batch sizes (1 and the max batch size). */
  warmUpCounts: number[];
}

/** What the HTTP thread knows of the model (status, answers). */
export type ModelInfo = Omit<ServedModel, 'run' | 'dispose'>;

export type ToWorker =
  | { type: 'run'; id: number; values: Float32Array; count: number; source: MarkSource }
  | { type: 'dispose' };

export interface WorkerFailure {
  name: string;
  message: string;
  code?: string | undefined;
  hint?: string | undefined;
  stack?: string | undefined;
}

export type FromWorker =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'load-failed'; error: WorkerFailure }
  | { type: 'result'; id: number; output: Float32Array; marks: ComputeMarks }
  | { type: 'run-failed'; id: number; error: WorkerFailure }
  | { type: 'disposed' };
