// Runs an ONNX model through onnxruntime: the native CPU runtime (onnxruntime-node) where it loads,
// else the WebAssembly build (onnxruntime-web), as tfjs-node falls back to tfjs-backend-wasm. The
// backend that ran (`onnx-cpu` or `onnx-wasm`) is reported with every result, and why the native
// one was skipped. A measured window must hold the inference and nothing else: where the runtime
// allows, a call also runs synchronously (`runSync`), as a TensorFlow.js predict + dataSync does.

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
  outputMetadata?: readonly { isTensor?: boolean; shape?: readonly (number | string)[] }[];
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
  /**
   * The same call, synchronously: nothing else of the process runs until it returns. Undefined
   * where the runtime has no synchronous call (onnx-wasm; its `run` awaits only promise jobs, no
   * timers or I/O callbacks, as test/agent/onnx-window.test.ts checks).
   */
  runSync: ((values: Float32Array, shape: readonly number[]) => Float32Array) | undefined;
  /** Values of the first output per input, or undefined when its shape is not fixed. */
  outputSize: number | undefined;
  dispose(): Promise<void>;
}

const log = logger('runtime');

/**
 * onnxruntime-node's own binding: "a simple synchronized inference session object wrap" (its
 * binding.d.ts). The package's public `session.run()` defers the same call to setImmediate, so
 * timers and I/O callbacks queued before it ran inside the window (seen on every call of the
 * fixture with 1.30); calling the binding keeps the window to the inference.
 */
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  readonly inputMetadata: readonly { name: string; shape: readonly number[] }[];
  readonly outputMetadata: readonly { name: string; shape: readonly number[] }[];
  run(
    feeds: Record<string, OrtTensor>,
    fetches: Record<string, null>,
    options: object,
  ): Record<string, OrtTensor>;
  dispose(): void;
}
interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

async function openNative(bytes: Uint8Array, ort: Ort): Promise<OnnxModel> {
  const specifier = 'onnxruntime-node/dist/binding.js';
  const module = (await import(specifier)) as NativeBinding & { default?: NativeBinding };
  const native = module.binding === undefined && module.default !== undefined ? module.default : module;
  native.initOrt();
  const session = new native.binding.InferenceSession();
  session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {});
  const input = session.inputMetadata[0];
  const output = session.outputMetadata[0];
  const outputName = output?.name;
  if (input === undefined || outputName === undefined) throw new Error('the graph has no input or no output');
  // The binding gives -1 for a dimension that is not fixed.
  const dims = input.shape.map((d) => (d >= 0 ? d : 'dynamic'));
  const runSync = (values: Float32Array, shape: readonly number[]): Float32Array => {
    const result = session.run(
      { [input.name]: new ort.Tensor('float32', values, shape) },
      { [outputName]: null },
      {},
    );
    const data = result[outputName]?.data;
    if (!(data instanceof Float32Array)) throw new Error(`output ${outputName} is not float32`);
    return data;
  };
  return {
    backend: 'onnx-cpu',
    skipped: [],
    inputName: input.name,
    outputName,
    inputShape: fixedShape(dims),
    outputSize: sizeOf(fixedShape(output?.shape.map((d) => (d >= 0 ? d : 'dynamic')))),
    fixedBatch: fixedBatchOf(dims),
    run: async (values, shape) => runSync(values, shape),
    runSync,
    dispose: async () => session.dispose(),
  };
}

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
      if (backend === 'onnx-cpu') {
        const native = await openNative(bytes, ort).catch((error: unknown) => {
          log.warn(
            { err: (error as Error).message },
            'onnxruntime-node binding not usable directly; its asynchronous run lets timers and I/O into measured windows',
          );
          return undefined;
        });
        if (native !== undefined) {
          log.info({ backend, skipped, synchronous: true }, 'onnxruntime ready');
          return { ...native, skipped };
        }
      }
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
        outputSize: sizeOf(fixedShape(session.outputMetadata?.[0]?.shape)),
        fixedBatch: fixedBatchOf(session.inputMetadata?.[0]?.shape),
        runSync: undefined,
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

function sizeOf(shape: readonly number[] | undefined): number | undefined {
  return shape?.reduce((a, b) => a * b, 1);
}

function fixedBatchOf(shape: readonly (number | string)[] | undefined): number | undefined {
  const batch = shape?.[0];
  return typeof batch === 'number' && batch > 0 ? batch : undefined;
}

export function openOnnxFile(path: string, order?: readonly OnnxBackendName[]): Promise<OnnxModel> {
  return openOnnx(readFileSync(path), order);
}
