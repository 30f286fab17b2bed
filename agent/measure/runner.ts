// Runs one inference and captures its window: wall-clock start, monotonic start/end and the CPU
// time this process spent. The inference runs synchronously (predict + dataSync, or onnxruntime's
// native call) so the window holds exactly the model's work and nothing of ours; onnx-wasm, which
// has no synchronous call, awaits only promise jobs inside the window (no timers, no I/O).

import type { Tf } from '../../runtime/backend.js';
import type { LoadedModel } from '../../runtime/model.js';
import type { OnnxServedModel, ServedModel } from '../../runtime/served.js';
import type { InferenceWindow } from '../sensors/index.js';

type Tensor = ReturnType<Tf['tensor']>;

export interface InferenceRun {
  window: InferenceWindow;
  /** Wall-clock start, microseconds since the Unix epoch. */
  startUs: number;
  inputBytes: number;
  outputBytes: number;
  /** Index of the largest output (the predicted class for a classifier), of the first input. */
  argmax: number;
  /** The model's output values, all inputs of the call, row-major. */
  output: ArrayLike<number>;
}

export function wallClockUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * One inference of a served model of either runtime: synchronous for TF.js and onnx-cpu (the
 * caller gets the run itself, no promise job in between), a promise for onnx-wasm only.
 */
export function runServed(model: ServedModel, input: Tensor): InferenceRun | Promise<InferenceRun> {
  return model.format === 'onnx' ? runOnnx(model, input) : runInference(model, input);
}

function runOnnx(model: OnnxServedModel, input: Tensor): InferenceRun | Promise<InferenceRun> {
  // Read out of the tensor before the window opens: copying the input is not the model's work.
  const values = input.dataSync() as Float32Array;
  const shape = input.shape;
  const count = shape[0] ?? 1;
  const startUs = wallClockUs();
  const cpuBefore = process.cpuUsage();
  const startNs = process.hrtime.bigint();
  const finish = (output: Float32Array): InferenceRun => {
    const endNs = process.hrtime.bigint();
    const cpu = process.cpuUsage(cpuBefore);
    return {
      window: { startNs, endNs, cpuUs: cpu.user + cpu.system },
      startUs,
      inputBytes: values.byteLength,
      outputBytes: output.byteLength,
      argmax: argmaxOfFirst(output, count),
      output,
    };
  };
  const { runSync } = model.onnx;
  return runSync === undefined ? model.onnx.run(values, shape).then(finish) : finish(runSync(values, shape));
}

/** Index of the largest value among the first input's outputs (a call of k inputs has k × classes values). */
function argmaxOfFirst(values: ArrayLike<number>, count: number): number {
  const classes = values.length / Math.max(1, count);
  let argmax = 0;
  for (let i = 1; i < classes; i++) if ((values[i] ?? 0) > (values[argmax] ?? 0)) argmax = i;
  return argmax;
}

export function runInference(model: LoadedModel, input: Tensor): InferenceRun {
  const startUs = wallClockUs();
  const cpuBefore = process.cpuUsage();
  const startNs = process.hrtime.bigint();
  const output = model.predict(input);
  const values = output.dataSync();
  const endNs = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpuBefore);
  const outputBytes = values.byteLength;
  output.dispose();
  return {
    window: { startNs, endNs, cpuUs: cpu.user + cpu.system },
    startUs,
    inputBytes: input.size * 4,
    outputBytes,
    argmax: argmaxOfFirst(values, input.shape[0] ?? 1),
    output: values,
  };
}
