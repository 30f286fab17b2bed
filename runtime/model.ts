// Builds a verified TensorFlow.js artifact (layers or graph format) into a runnable model. The
// bytes are checked first (protocol/manifest: hash against manifest.json, ed25519 signature with
// the trusted keys), so a tampered or, when keys are trusted, unsigned artifact is refused with a
// ModelVerificationError before anything of it is parsed; every record then names the exact bytes
// that ran by the artifact id.

import { basename, dirname } from 'node:path';
import {
  type Artifact,
  ModelLoadError,
  type ModelManifest,
  type ModelTrust,
  TRUST_ANY,
  verifyArtifact,
} from '../protocol/manifest/index.js';
import type { Tf } from './backend.js';

type Tensor = ReturnType<Tf['tensor']>;

export interface LoadedModel {
  /** SHA-256 hex of the artifact. */
  id: string;
  variant: string;
  format: 'layers-model' | 'graph-model';
  /** Shape of one input, without the batch dimension. */
  inputShape: number[];
  outputSize: number;
  /** The verified manifest, or null for an artifact without one (accepted only when unsigned is allowed). */
  manifest: ModelManifest | null;
  /** Key id of the trusted key whose signature verified, or null when none was checked. */
  signedBy: string | null;
  predict(input: Tensor): Tensor;
  dispose(): void;
}

/** An IOHandler that hands the artifact's bytes to tf.loadLayersModel / tf.loadGraphModel. */
export function memoryHandler(tf: Tf, artifact: Artifact) {
  const { json } = artifact;
  const weights = Buffer.concat(artifact.weightFiles);
  return tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: artifact.weightSpecs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    userDefinedMetadata: json.userDefinedMetadata,
    signature: json.signature,
  } as Parameters<Tf['io']['fromMemory']>[0]);
}

export async function loadModel(tf: Tf, path: string, trust: ModelTrust = TRUST_ANY): Promise<LoadedModel> {
  return buildModel(tf, await verifyArtifact(path, trust));
}

/** Builds a TensorFlow.js artifact that verifyArtifact or verifyModelArtifact passed. */
export async function buildModel(
  tf: Tf,
  verified: { artifact: Artifact; manifest: ModelManifest | null; signedBy: string | null },
): Promise<LoadedModel> {
  const { artifact, manifest, signedBy } = verified;
  const { json, jsonPath, id } = artifact;
  const handler = memoryHandler(tf, artifact);
  const variant =
    manifest?.variant ?? json.userDefinedMetadata?.edgewatt?.variant ?? basename(dirname(jsonPath));

  if (json.format === 'graph-model') {
    const model = await tf.loadGraphModel(handler);
    const shape = model.inputs[0]?.shape ?? [];
    return {
      id,
      variant,
      format: 'graph-model',
      manifest,
      signedBy,
      inputShape: concreteShape(shape.slice(1), jsonPath),
      outputSize: concreteShape((model.outputs[0]?.shape ?? []).slice(1), jsonPath).reduce(
        (a, b) => a * b,
        1,
      ),
      predict: (input) => model.predict(input) as Tensor,
      dispose: () => model.dispose(),
    };
  }
  const model = await tf.loadLayersModel(handler);
  const inputShape = concreteShape((model.inputs[0]?.shape ?? []).slice(1), jsonPath);
  const outputShape = concreteShape((model.outputs[0]?.shape ?? []).slice(1), jsonPath);
  return {
    id,
    variant,
    format: 'layers-model',
    manifest,
    signedBy,
    inputShape,
    outputSize: outputShape.reduce((a, b) => a * b, 1),
    predict: (input) => model.predict(input) as Tensor,
    dispose: () => model.dispose(),
  };
}

function concreteShape(shape: readonly (number | null)[], source: string): number[] {
  return shape.map((dim, index) => {
    if (dim === null || dim < 0) {
      throw new ModelLoadError(
        `${source}: input dimension ${index + 1} is not fixed; edgewatt needs fixed input shapes`,
      );
    }
    return dim;
  });
}
