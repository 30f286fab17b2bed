// What `edgewatt profile` runs: a TensorFlow.js model (synchronous calls) or an ONNX model
// (onnxruntime's calls are asynchronous), both as "run n inferences back to back" on seeded
// random inputs, each with its window (agent/measure/runner.ts's timing).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ModelLoadError, type ModelTrust } from '../../protocol/manifest/index.js';
import { type BackendName, loadRuntime } from '../../runtime/backend.js';
import { randomInputPool } from '../../runtime/inputs.js';
import { loadModel } from '../../runtime/model.js';
import { openOnnx } from '../../runtime/onnx.js';
import { type InferenceRun, runInference, wallClockUs } from '../measure/runner.js';

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

/** The model.onnx a path names (the file, or a folder holding one), or undefined. */
export function onnxPathOf(path: string): string | undefined {
  if (path.endsWith('.onnx')) return path;
  const inside = join(path, 'model.onnx');
  return existsSync(path) && statSync(path).isDirectory() && existsSync(inside) ? inside : undefined;
}

export async function openTarget(
  path: string,
  trust: ModelTrust,
  backend: BackendName | undefined,
  batchSize: number,
): Promise<ProfileTarget> {
  const onnxPath = onnxPathOf(path);
  if (onnxPath !== undefined) return openOnnxTarget(onnxPath, trust, batchSize);
  const runtime = await loadRuntime(backend);
  const model = await loadModel(runtime.tf, path, trust);
  const pool = randomInputPool(runtime.tf, model.inputShape, batchSize);
  return {
    id: model.id,
    variant: model.variant,
    format: model.format,
    inputShape: model.inputShape,
    backend: runtime.backend,
    async runs(n) {
      return Array.from({ length: n }, () => runInference(model, pool.next().input));
    },
    async dispose() {
      pool.dispose();
      model.dispose();
    },
  };
}

async function openOnnxTarget(path: string, trust: ModelTrust, batchSize: number): Promise<ProfileTarget> {
  if (trust.requireSigned)
    throw new ModelLoadError(
      `${path}: signature checks of ONNX models are not supported yet; profile it without --trusted-key`,
    );
  const bytes = readFileSync(path);
  const model = await openOnnx(bytes);
  const shape = model.inputShape;
  if (shape === undefined)
    throw new ModelLoadError(`${path}: the input's shape is not fixed; edgewatt needs fixed input shapes`);
  const perInput = shape.reduce((a, b) => a * b, 1);
  let state = 42;
  const inputs = Array.from({ length: 8 }, () =>
    Float32Array.from({ length: perInput * batchSize }, () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    }),
  );
  let cursor = 0;
  const runOne = async (): Promise<InferenceRun> => {
    const values = inputs[cursor++ % inputs.length] ?? new Float32Array(perInput * batchSize);
    const startUs = wallClockUs();
    const cpuBefore = process.cpuUsage();
    const startNs = process.hrtime.bigint();
    const output = await model.run(values, [batchSize, ...shape]);
    const endNs = process.hrtime.bigint();
    const cpu = process.cpuUsage(cpuBefore);
    let argmax = 0;
    const classes = output.length / batchSize;
    for (let i = 1; i < classes; i++) if ((output[i] ?? 0) > (output[argmax] ?? 0)) argmax = i;
    return {
      window: { startNs, endNs, cpuUs: cpu.user + cpu.system },
      startUs,
      inputBytes: values.byteLength,
      outputBytes: output.byteLength,
      argmax,
      output,
    };
  };
  return {
    id: createHash('sha256').update(bytes).digest('hex'),
    variant: basename(dirname(path)),
    format: 'onnx',
    inputShape: shape,
    backend: model.backend,
    async runs(n) {
      const runs: InferenceRun[] = [];
      for (let i = 0; i < n; i++) runs.push(await runOne());
      return runs;
    },
    dispose: () => model.dispose(),
  };
}
