// The agent's --backend: where the TensorFlow.js backend search starts (tensorflow, wasm, cpu), or
// which ONNX runtime runs an ONNX model — `onnx-cpu` (the native one, else the WebAssembly build)
// or `onnx-wasm`, which forces the WebAssembly build even where the native one loads (to measure
// what a board without the native runtime would run). An ONNX choice is refused for the model an
// agent starts with when that is a TF.js artifact (the flag would do nothing).

import { ModelLoadError } from '../protocol/manifest/index.js';
import { BACKENDS, type BackendName } from './backend.js';
import { ONNX_BACKENDS, type OnnxBackendName } from './onnx.js';
import type { ServedModel } from './served.js';

export const MODEL_BACKENDS = [...BACKENDS, ...ONNX_BACKENDS] as const;
export type ModelBackend = (typeof MODEL_BACKENDS)[number];

const isOnnx = (choice: ModelBackend): choice is OnnxBackendName =>
  (ONNX_BACKENDS as readonly string[]).includes(choice);

/** What loadServedModel and loadRuntime take for a --backend choice (nothing: their defaults). */
export function loadOptionsOf(choice: ModelBackend | undefined): {
  tfBackend?: BackendName;
  onnxOrder?: readonly OnnxBackendName[];
} {
  if (choice === undefined) return {};
  if (isOnnx(choice)) return { onnxOrder: ONNX_BACKENDS.slice(ONNX_BACKENDS.indexOf(choice)) };
  return { tfBackend: choice };
}

/** Throws ModelLoadError when an ONNX runtime was asked for and `model` is a TF.js artifact (at start). */
export function checkBackendFits(choice: ModelBackend | undefined, model: ServedModel, path: string): void {
  if (choice === undefined || !isOnnx(choice) || model.format === 'onnx') return;
  throw new ModelLoadError(
    `--backend ${choice} runs ONNX models, and ${path} is a TensorFlow.js artifact; give a TF.js backend (${BACKENDS.join(', ')}) or none`,
  );
}
