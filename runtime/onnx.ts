// Runs an ONNX model through onnxruntime: the native CPU runtime (onnxruntime-node) where it loads,
// else the WebAssembly build (onnxruntime-web), as tfjs-node falls back to tfjs-backend-wasm. The
// backend that ran (`onnx-cpu` or `onnx-wasm`) is reported with every result, and why the native
// one was skipped.

import { readFileSync } from 'node:fs';
import { logger } from '../common/logger.js';

export const ONNX_BACKENDS = ['onnx-cpu', 'onnx-wasm'] as const;
export type OnnxBackendName = (typeof ONNX_BACKENDS)[number];

/** What edgewatt needs of onnxruntime-node and onnxruntime-web (their APIs are the same). */
interface OrtTensor {
  data: unknown;
  dims: readonly number[];
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  inputMetadata?: readonly { isTensor?: boolean; shape?: readonly (number | string)[] }[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(bytes: Uint8Array, options?: object): Promise<OrtSession> };
  env?: { wasm?: { numThreads?: number } };
}

export interface OnnxModel {
  backend: OnnxBackendName;
  skipped: { backend: OnnxBackendName; reason: string }[];
  inputName: string;
  outputName: string;
  /** Shape of one input without the batch dimension, or undefined when a dimension is not fixed. */
  inputShape: number[] | undefined;
  /** The batch dimension when the graph fixes it (1 for a graph exported for one input), else undefined. */
  fixedBatch: number | undefined;
  /** Runs one call: `values` row-major over `shape` (batch first); the first output's values. */
  run(values: Float32Array, shape: readonly number[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

const log = logger('runtime');

async function importOrt(backend: OnnxBackendName): Promise<Ort> {
  // Variable specifiers: the optional native package must not be required by bundlers or tsc.
  const specifier = backend === 'onnx-cpu' ? 'onnxruntime-node' : 'onnxruntime-web';
  const module = (await import(specifier)) as Ort & { default?: Ort };
  const ort = module.InferenceSession === undefined && module.default !== undefined ? module.default : module;
  // One thread: the board's other cores belong to the application and the sampler.
  if (backend === 'onnx-wasm' && ort.env?.wasm !== undefined) ort.env.wasm.numThreads = 1;
  return ort;
}

/** Opens `bytes` (an ONNX ModelProto) on the first backend of `order` that loads it. */
export async function openOnnx(
  bytes: Uint8Array,
  order: readonly OnnxBackendName[] = ONNX_BACKENDS,
): Promise<OnnxModel> {
  const skipped: OnnxModel['skipped'] = [];
  for (const backend of order) {
    try {
      const ort = await importOrt(backend);
      const session = await ort.InferenceSession.create(
        bytes,
        backend === 'onnx-wasm' ? { executionProviders: ['wasm'] } : {},
      );
      const inputName = session.inputNames[0];
      const outputName = session.outputNames[0];
      if (inputName === undefined || outputName === undefined)
        throw new Error('the graph has no input or no output');
      log.info({ backend, skipped }, 'onnxruntime ready');
      return {
        backend,
        skipped,
        inputName,
        outputName,
        inputShape: fixedShape(session.inputMetadata?.[0]?.shape),
        fixedBatch: fixedBatchOf(session.inputMetadata?.[0]?.shape),
        async run(values, shape) {
          const result = await session.run({ [inputName]: new ort.Tensor('float32', values, shape) });
          const data = result[outputName]?.data;
          if (!(data instanceof Float32Array)) throw new Error(`output ${outputName} is not float32`);
          return data;
        },
        dispose: () => session.release(),
      };
    } catch (error) {
      skipped.push({ backend, reason: (error as Error).message.split('\n')[0] ?? 'unknown' });
    }
  }
  throw new Error(
    `no ONNX runtime could open the model: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`,
  );
}

function fixedShape(shape: readonly (number | string)[] | undefined): number[] | undefined {
  const dims = shape?.slice(1);
  if (dims === undefined || !dims.every((d): d is number => typeof d === 'number' && d > 0)) return undefined;
  return dims;
}

function fixedBatchOf(shape: readonly (number | string)[] | undefined): number | undefined {
  const batch = shape?.[0];
  return typeof batch === 'number' && batch > 0 ? batch : undefined;
}

export function openOnnxFile(path: string, order?: readonly OnnxBackendName[]): Promise<OnnxModel> {
  return openOnnx(readFileSync(path), order);
}
