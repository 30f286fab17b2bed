// A model the agent serves, whichever runtime runs it: a TensorFlow.js artifact (runtime/model.ts,
// on the process's TF.js backend) or an ONNX one (runtime/onnx.ts, onnx-cpu or onnx-wasm). Both are
// verified the same way first (protocol/manifest: signature, declared sizes, hashes, artifact id),
// and both say which backend ran them, which every record names.

import { basename, dirname } from 'node:path';
import {
  ModelLoadError,
  type ModelManifest,
  type ModelTrust,
  TRUST_ANY,
  verifyModelArtifact,
} from '../protocol/manifest/index.js';
import { type BackendName, loadRuntime } from './backend.js';
import { buildModel, type LoadedModel } from './model.js';
import { type OnnxBackendName, type OnnxModel, openOnnx } from './onnx.js';

export interface OnnxServedModel {
  /** SHA-256 hex of the .onnx file. */
  id: string;
  variant: string;
  format: 'onnx';
  backend: OnnxBackendName;
  /** Shape of one input, without the batch dimension. */
  inputShape: number[];
  /** Values of the output per input; undefined when the graph does not fix it (known after a call). */
  outputSize: number | undefined;
  manifest: ModelManifest | null;
  signedBy: string | null;
  onnx: OnnxModel;
  dispose(): void;
}

export type ServedModel = LoadedModel | OnnxServedModel;

/** The backend name a record gives for `model`: the ONNX runtime's, or the TF.js backend in use. */
export async function backendOf(model: ServedModel, tfBackend?: BackendName): Promise<string> {
  return model.format === 'onnx' ? model.backend : (await loadRuntime(tfBackend)).backend;
}

/**
 * Loads and verifies the model at `path` (a folder, a model.json or a .onnx file). TF.js models
 * run on the process's TF.js runtime (started at `tfBackend`); ONNX models on `onnxOrder`.
 */
export async function loadServedModel(
  path: string,
  trust: ModelTrust = TRUST_ANY,
  options: { tfBackend?: BackendName | undefined; onnxOrder?: readonly OnnxBackendName[] } = {},
): Promise<ServedModel> {
  const verified = await verifyModelArtifact(path, trust);
  const { artifact, manifest, signedBy } = verified;
  if (artifact.format === 'tfjs') {
    const runtime = await loadRuntime(options.tfBackend);
    return buildModel(runtime.tf, { artifact, manifest, signedBy });
  }
  const onnx = await openOnnx(artifact.onnxBytes, options.onnxOrder);
  const inputShape = onnx.inputShape ?? manifest?.inputShape;
  if (inputShape === undefined || inputShape.length === 0) {
    await onnx.dispose();
    throw new ModelLoadError(
      `${artifact.onnxPath}: the input's shape is not fixed in the graph and no manifest gives it; ` +
        'write one with "edgewatt model import <file.onnx> --input-shape 28,28,1"',
    );
  }
  if (
    onnx.inputShape !== undefined &&
    manifest !== null &&
    manifest.inputShape.join(',') !== inputShape.join(',')
  ) {
    await onnx.dispose();
    throw new ModelLoadError(
      `${artifact.onnxPath}: the graph takes input [${inputShape.join(', ')}], the manifest says [${manifest.inputShape.join(', ')}]`,
    );
  }
  return {
    id: artifact.id,
    variant: manifest?.variant ?? basename(dirname(artifact.onnxPath)),
    format: 'onnx',
    backend: onnx.backend,
    inputShape,
    outputSize: onnx.outputSize,
    manifest,
    signedBy,
    onnx,
    // Releasing a native session is synchronous inside; the promise only wraps it.
    dispose: () => void onnx.dispose().catch(() => undefined),
  };
}
