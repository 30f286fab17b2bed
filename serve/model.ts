// The model the server runs, whatever its format: a TensorFlow.js artifact (runtime/model.ts, on
// the backend runtime/backend.ts chooses) or an ONNX graph (runtime/onnx.ts: onnxruntime-node,
// else onnxruntime-web), both verified before they are built. One call runs a whole batch; a graph
// whose batch dimension is fixed (exported for one input) is called once per input of the batch,
// inside the same energy window.

import { basename, dirname } from 'node:path';
import { ModelLoadError, type ModelTrust, verifyModelArtifact } from '../protocol/manifest/index.js';
import { type BackendName, loadRuntime } from '../runtime/backend.js';
import { loadModel } from '../runtime/model.js';
import { openOnnx } from '../runtime/onnx.js';
import { onnxPathOf } from './onnx-artifact.js';

export interface ServedModel {
  /** SHA-256 hex of the artifact. */
  id: string;
  variant: string;
  format: 'layers-model' | 'graph-model' | 'onnx';
  /** Runtime backend that runs it (tensorflow, wasm, cpu, onnx-cpu, onnx-wasm). */
  backend: string;
  /** Shape of one input, without the batch dimension. */
  inputShape: number[];
  outputSize: number;
  signedBy: string | null;
  /** Runs `count` inputs (row-major, one after the other); the outputs, one after the other. */
  run(values: Float32Array, count: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface LoadOptions {
  trust: ModelTrust;
  backend?: BackendName | undefined;
}

export async function loadServedModel(path: string, options: LoadOptions): Promise<ServedModel> {
  const onnxPath = await onnxPathOf(path);
  return onnxPath === null ? loadTfjs(path, options) : loadOnnx(onnxPath, options.trust);
}

async function loadTfjs(path: string, options: LoadOptions): Promise<ServedModel> {
  const { tf, backend } = await loadRuntime(options.backend);
  const model = await loadModel(tf, path, options.trust);
  return {
    id: model.id,
    variant: model.variant,
    format: model.format,
    backend,
    inputShape: model.inputShape,
    outputSize: model.outputSize,
    signedBy: model.signedBy,
    async run(values, count) {
      const output = tf.tidy(() => model.predict(tf.tensor(values, [count, ...model.inputShape])));
      try {
        return Float32Array.from(await output.data());
      } finally {
        output.dispose();
      }
    },
    dispose: async () => model.dispose(),
  };
}

async function loadOnnx(path: string, trust: ModelTrust): Promise<ServedModel> {
  // The one verifier of every model artifact (the agent's too): signature, listed file, SHA-256.
  const { artifact, manifest, signedBy } = await verifyModelArtifact(path, trust);
  if (artifact.format !== 'onnx')
    throw new ModelLoadError(
      `${path}: the manifest next to it describes a TensorFlow.js artifact, not an ONNX graph`,
    );
  const variant = manifest?.variant ?? basename(dirname(artifact.onnxPath));
  const session = await openOnnx(artifact.onnxBytes);
  const inputShape = session.inputShape;
  if (inputShape === undefined)
    throw new Error(
      `${path}: the graph's input dimensions are not fixed; edgewatt serve needs a fixed input shape`,
    );
  const perInput = inputShape.reduce((a, b) => a * b, 1);
  // The output size from one call on zeros: the graph's output metadata may be symbolic.
  const probe = await session.run(new Float32Array(perInput * (session.fixedBatch ?? 1)), [
    session.fixedBatch ?? 1,
    ...inputShape,
  ]);
  const outputSize = probe.length / (session.fixedBatch ?? 1);
  const callBatch = session.fixedBatch;
  return {
    id: artifact.id,
    variant,
    format: 'onnx',
    backend: session.backend,
    inputShape,
    outputSize,
    signedBy,
    async run(values, count) {
      if (callBatch === undefined) return session.run(values, [count, ...inputShape]);
      // A fixed batch dimension: call it in slices of that size (the last one padded with zeros).
      const out = new Float32Array(count * outputSize);
      for (let at = 0; at < count; at += callBatch) {
        const slice = new Float32Array(callBatch * perInput);
        slice.set(values.subarray(at * perInput, Math.min(count, at + callBatch) * perInput));
        const result = await session.run(slice, [callBatch, ...inputShape]);
        out.set(result.subarray(0, Math.min(callBatch, count - at) * outputSize), at * outputSize);
      }
      return out;
    },
    dispose: () => session.dispose(),
  };
}
