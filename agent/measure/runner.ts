// Runs one inference and captures its window: wall-clock start, monotonic start/end and the CPU
// time this process spent. The inference runs synchronously (predict + dataSync) so the window
// holds exactly the model's work and nothing of ours.

import type { Tf } from '../../runtime/backend.js';
import type { LoadedModel } from '../../runtime/model.js';
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
  // The first input's classes only: a call of k inputs has k × classes values.
  const classes = values.length / Math.max(1, input.shape[0] ?? 1);
  let argmax = 0;
  for (let i = 1; i < classes; i++) if ((values[i] ?? 0) > (values[argmax] ?? 0)) argmax = i;
  return {
    window: { startNs, endNs, cpuUs: cpu.user + cpu.system },
    startUs,
    inputBytes: input.size * 4,
    outputBytes,
    argmax,
    output: values,
  };
}
