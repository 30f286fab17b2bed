// What `edgewatt profile` runs: a TensorFlow.js or an ONNX model, verified and loaded as the agent
// loads it (runtime/served.ts), run as "n inferences back to back" on seeded random inputs, each
// with its window (agent/measure/runner.ts's timing: synchronous where the runtime allows).

import { ModelLoadError, type ModelTrust } from '../../protocol/manifest/index.js';
import { type BackendName, loadRuntime } from '../../runtime/backend.js';
import { randomInputPool } from '../../runtime/inputs.js';
import { loadServedModel } from '../../runtime/served.js';
import { type InferenceRun, runServed } from '../measure/runner.js';

export interface ProfileTarget {
  id: string;
  variant: string;
  format: string;
  inputShape: number[];
  backend: string;
  /** Runs n inferences back to back and returns their runs in order. */
  runs(n: number): Promise<InferenceRun[]>;
  dispose(): Promise<void>;
}

export async function openTarget(
  path: string,
  trust: ModelTrust,
  backend: BackendName | undefined,
  batchSize: number,
): Promise<ProfileTarget> {
  const runtime = await loadRuntime(backend);
  const model = await loadServedModel(path, trust, { tfBackend: backend });
  const fixedBatch = model.format === 'onnx' ? model.onnx.fixedBatch : undefined;
  if (fixedBatch !== undefined && fixedBatch !== batchSize) {
    model.dispose();
    throw new ModelLoadError(
      `${path}: the ONNX graph fixes the batch dimension to ${fixedBatch}; profile it with --batch-size ${fixedBatch}`,
    );
  }
  const pool = randomInputPool(runtime.tf, model.inputShape, batchSize);
  return {
    id: model.id,
    variant: model.variant,
    format: model.format,
    inputShape: model.inputShape,
    backend: model.format === 'onnx' ? model.backend : runtime.backend,
    async runs(n) {
      const runs: InferenceRun[] = [];
      for (let i = 0; i < n; i++) {
        const run = runServed(model, pool.next().input);
        runs.push(run instanceof Promise ? await run : run);
      }
      return runs;
    },
    async dispose() {
      pool.dispose();
      model.dispose();
    },
  };
}
