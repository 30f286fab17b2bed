// `edgewatt model import`: brings a model made elsewhere (an ONNX file, or a TensorFlow.js layers or
// graph model folder from the converter) under edgewatt's manifest, so that `model sign` signs it
// and agents verify and run it like a model trained here. The files are copied into the output
// folder; the manifest gets the id and per-file hashes, parameters, multiply-adds where the graph
// gives them (and which operators were not counted), and the input shape.

import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { EdgewattError } from '../../common/errors.js';
import { EDGEWATT_VERSION } from '../../common/version.js';
import { unsafePathProblem } from '../../protocol/manifest/bounded-read.js';
import {
  type Artifact,
  MANIFEST_SCHEMA,
  type ModelManifest,
  manifestSchema,
  ONNX_FILE,
  readArtifact,
  SIGNATURE_FILE,
  sha256,
} from '../../protocol/manifest/index.js';
import { loadRuntime } from '../../runtime/backend.js';
import { memoryHandler } from '../../runtime/model.js';
import { countCost } from '../analysis/flops.js';
import { writeManifest } from './manifest.js';
import { summariseOnnx } from './onnx-graph.js';

export class ModelImportError extends EdgewattError {
  override readonly name = 'ModelImportError';
}

export interface ImportRequest {
  /** A .onnx file, a folder holding model.onnx or model.json, or a model.json. */
  source: string;
  out: string;
  /** Variant name; default: the source's file or folder name. */
  name?: string | undefined;
  architecture?: string | undefined;
  /** Shape of one input without the batch dimension, where the graph does not fix it. */
  inputShape?: number[] | undefined;
  /** Class names by output index. */
  labels?: string[] | undefined;
  release?: number | undefined;
}

export interface Imported {
  dir: string;
  manifest: ModelManifest;
  format: 'onnx' | 'layers-model' | 'graph-model';
}

interface Costs {
  flops: number;
  params: number;
  inputShape: number[] | undefined;
  uncounted: string[];
}

const isOnnx = (path: string) => path.endsWith('.onnx');

async function sourceKind(source: string): Promise<{ kind: 'onnx' | 'tfjs'; path: string }> {
  if (isOnnx(source)) return { kind: 'onnx', path: source };
  if (source.endsWith('.json')) return { kind: 'tfjs', path: source };
  const has = (file: string) =>
    readFile(join(source, file)).then(
      () => true,
      () => false,
    );
  if (await has('model.json')) return { kind: 'tfjs', path: join(source, 'model.json') };
  if (await has(ONNX_FILE)) return { kind: 'onnx', path: join(source, ONNX_FILE) };
  throw new ModelImportError(
    `${source} is not a .onnx file and holds neither model.json (TensorFlow.js) nor ${ONNX_FILE}`,
    { hint: 'give the .onnx file, or the folder the TensorFlow.js converter wrote' },
  );
}

/** Copies `file` from `fromDir` to `toDir` unless both are the same folder; returns its bytes. */
async function copyInto(fromDir: string, toDir: string, file: string, asName = file): Promise<Buffer> {
  const problem = unsafePathProblem(file);
  if (problem !== null) throw new ModelImportError(`model file ${JSON.stringify(file)} ${problem}`);
  const from = join(fromDir, file);
  const to = join(toDir, asName);
  if (resolve(from) !== resolve(to)) {
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
  }
  return readFile(to);
}

function shapeOf(fromGraph: number[] | undefined, given: number[] | undefined, source: string): number[] {
  if (given !== undefined && fromGraph !== undefined && given.join(',') !== fromGraph.join(',')) {
    throw new ModelImportError(
      `--input-shape ${given.join(',')} differs from the graph's input [${fromGraph.join(', ')}] in ${source}`,
    );
  }
  const shape = fromGraph ?? given;
  if (shape === undefined) {
    throw new ModelImportError(`${source}: the input's shape is not fixed in the graph`, {
      hint: 'give it without the batch dimension, e.g. --input-shape 28,28,1',
    });
  }
  return shape;
}

async function tfjsCosts(artifact: Artifact): Promise<Costs & { format: 'layers-model' | 'graph-model' }> {
  const { tf } = await loadRuntime();
  if (artifact.json.format === 'graph-model') {
    const model = await tf.loadGraphModel(memoryHandler(tf, artifact));
    const shape = model.inputs[0]?.shape?.slice(1);
    const specs = artifact.weightSpecs as { shape: number[] }[];
    model.dispose();
    return {
      format: 'graph-model',
      flops: 0,
      params: specs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1), 0),
      inputShape: shape?.every((d) => d > 0) === true ? shape : undefined,
      uncounted: ['graph-model'],
    };
  }
  const model = await tf.loadLayersModel(memoryHandler(tf, artifact));
  try {
    const cost = countCost(model as Parameters<typeof countCost>[0]);
    const shape = (model.inputs[0]?.shape ?? []).slice(1);
    return {
      format: 'layers-model',
      flops: cost.macs,
      params: cost.params,
      inputShape: shape.every((d): d is number => d !== null && d > 0) ? shape : undefined,
      uncounted: [],
    };
  } finally {
    model.dispose();
  }
}

/** Copies the model into `out` and writes its manifest.json (unsigned: sign it next). */
export async function importModel(request: ImportRequest): Promise<Imported> {
  const { kind, path } = await sourceKind(request.source);
  const out = request.out;
  await mkdir(out, { recursive: true });
  // A signature of other bytes must not survive next to the new manifest.
  await rm(join(out, SIGNATURE_FILE), { force: true });
  let files: ModelManifest['files'];
  let id: string;
  let costs: Costs;
  let format: Imported['format'];
  if (kind === 'onnx') {
    const bytes = await copyInto(dirname(path), out, basename(path), ONNX_FILE);
    const graph = summariseOnnx(bytes);
    costs = {
      flops: graph.macs,
      params: graph.params,
      inputShape: graph.inputShape,
      uncounted: graph.uncounted,
    };
    files = [{ path: ONNX_FILE, bytes: bytes.byteLength, sha256: sha256(bytes) }];
    id = sha256(bytes);
    format = 'onnx';
  } else {
    const source = await readArtifact(path);
    const fromDir = dirname(source.jsonPath);
    const jsonBytes = await copyInto(fromDir, out, basename(source.jsonPath), 'model.json');
    files = [{ path: 'model.json', bytes: jsonBytes.byteLength, sha256: sha256(jsonBytes) }];
    for (const group of source.json.weightsManifest ?? []) {
      for (const file of group.paths) {
        const bytes = await copyInto(fromDir, out, file);
        files.push({ path: file, bytes: bytes.byteLength, sha256: sha256(bytes) });
      }
    }
    const copied = await readArtifact(join(out, 'model.json'));
    const tfjs = await tfjsCosts(copied);
    ({ format, ...costs } = tfjs);
    id = copied.id;
  }
  const variant =
    request.name ??
    (kind === 'onnx' && basename(path) !== ONNX_FILE
      ? basename(path, '.onnx')
      : basename(dirname(resolve(path))));
  const result = manifestSchema.safeParse({
    schema: MANIFEST_SCHEMA,
    id,
    variant,
    architecture: request.architecture ?? `imported-${format}`,
    parent: null,
    pruning: null,
    // Older agents refuse a manifest with fields they do not know: a TF.js import writes none of the new ones it can leave out.
    ...(kind === 'onnx' ? { format: 'onnx' } : {}),
    flops: costs.flops,
    ...(costs.uncounted.length > 0 ? { flopsUncounted: costs.uncounted } : {}),
    params: costs.params,
    accuracy: null,
    inputShape: shapeOf(costs.inputShape, request.inputShape, path),
    ...(request.labels === undefined ? {} : { labels: request.labels }),
    artifactBytes: files.reduce((sum, file) => sum + file.bytes, 0),
    files,
    training: null,
    createdBy: `edgewatt ${EDGEWATT_VERSION} model import`,
    ...(request.release === undefined ? {} : { release: request.release }),
  });
  if (!result.success) {
    throw new ModelImportError(
      `the manifest for ${path} is not valid: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  await writeManifest(out, result.data);
  return { dir: out, manifest: result.data, format };
}
