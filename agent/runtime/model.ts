// Loads a TensorFlow.js model (layers or graph format) from a model.json on disk and identifies
// it by the SHA-256 of its artifact (model.json and weight files, in manifest order), so every
// record names exactly the bytes that ran.

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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
  predict(input: Tensor): Tensor;
  dispose(): void;
}

export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

interface ModelJson {
  format?: string;
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: unknown[] }[];
  userDefinedMetadata?: { edgewatt?: { variant?: string } };
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: unknown;
}

async function resolveModelJson(path: string): Promise<string> {
  const info = await stat(path).catch(() => {
    throw new ModelLoadError(
      `--model ${JSON.stringify(path)} does not exist; give a model.json or the folder holding it`,
    );
  });
  return info.isDirectory() ? join(path, 'model.json') : path;
}

export async function loadModel(tf: Tf, path: string): Promise<LoadedModel> {
  const jsonPath = await resolveModelJson(path);
  const jsonBytes = await readFile(jsonPath).catch((error: Error) => {
    throw new ModelLoadError(`cannot read ${jsonPath}: ${error.message}`);
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonBytes.toString('utf8'));
  } catch (error) {
    throw new ModelLoadError(`${jsonPath} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ModelLoadError(`${jsonPath} is not a TensorFlow.js model.json (it must hold a JSON object)`);
  }
  const json = parsed as ModelJson;
  if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new ModelLoadError(
      `${jsonPath} is not a TensorFlow.js model.json (modelTopology and weightsManifest are required)`,
    );
  }
  const hash = createHash('sha256').update(jsonBytes);
  const weightChunks: Buffer[] = [];
  const weightSpecs: unknown[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const file of group.paths) {
      const chunk = await readFile(join(dirname(jsonPath), file)).catch((error: Error) => {
        throw new ModelLoadError(`weight file ${file} of ${jsonPath} cannot be read: ${error.message}`);
      });
      hash.update(chunk);
      weightChunks.push(chunk);
    }
  }
  const weights = Buffer.concat(weightChunks);
  const artifacts = {
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    userDefinedMetadata: json.userDefinedMetadata,
    signature: json.signature,
  } as Parameters<Tf['io']['fromMemory']>[0];
  const handler = tf.io.fromMemory(artifacts);
  const variant = json.userDefinedMetadata?.edgewatt?.variant ?? basename(dirname(jsonPath));
  const id = hash.digest('hex');

  if (json.format === 'graph-model') {
    const model = await tf.loadGraphModel(handler);
    const shape = model.inputs[0]?.shape ?? [];
    return {
      id,
      variant,
      format: 'graph-model',
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
