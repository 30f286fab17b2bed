// Chooses the TensorFlow.js backend: @tensorflow/tfjs-node where it could be installed (it
// downloads libtensorflow at install time, so it is optional and not in package.json), else
// WebAssembly, else the pure-JS CPU backend. The backend in use is reported in every record.

import { logger } from '../common/logger.js';

export type Tf = typeof import('@tensorflow/tfjs');
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface Runtime {
  tf: Tf;
  backend: BackendName;
  /** Why earlier backends in the order were skipped. */
  skipped: { backend: BackendName; reason: string }[];
}

const log = logger('runtime');
let current: Promise<Runtime> | undefined;

async function tryNode(): Promise<Tf> {
  // A variable specifier keeps bundlers and tsc from requiring the optional package.
  const specifier = '@tensorflow/tfjs-node';
  const tf = (await import(specifier)) as Tf;
  if (!(await tf.setBackend('tensorflow'))) throw new Error('backend "tensorflow" did not initialise');
  return tf;
}

async function tryCore(backend: 'wasm' | 'cpu'): Promise<Tf> {
  const tf = await import('@tensorflow/tfjs');
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(backend))) throw new Error(`backend "${backend}" did not initialise`);
  await tf.ready();
  return tf;
}

async function select(order: readonly BackendName[]): Promise<Runtime> {
  const skipped: Runtime['skipped'] = [];
  for (const backend of order) {
    try {
      const tf = backend === 'tensorflow' ? await tryNode() : await tryCore(backend);
      log.info({ backend, skipped }, 'tensorflow.js backend ready');
      return { tf, backend, skipped };
    } catch (error) {
      skipped.push({ backend, reason: (error as Error).message.split('\n')[0] ?? 'unknown' });
    }
  }
  throw new Error(
    `no TensorFlow.js backend could start: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`,
  );
}

/**
 * The process-wide runtime (TensorFlow.js keeps one global backend). `preferred` starts the
 * search at that backend; later calls return the first runtime whatever they ask for.
 */
export function loadRuntime(preferred?: BackendName): Promise<Runtime> {
  const order = preferred === undefined ? BACKENDS : BACKENDS.slice(BACKENDS.indexOf(preferred));
  current ??= select(order);
  return current;
}
