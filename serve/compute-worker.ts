// The model's worker thread: loads and verifies the model (signatures, manifest: model.ts), warms
// it up, then runs each batch it is sent between two meter marks and sends back the outputs with
// the marks. TF.js (WASM, CPU) and onnxruntime-node (whose run() is synchronous, behind a
// setImmediate) both block the thread they run on: here that is this thread, not the HTTP one.

import { parentPort, workerData } from 'node:worker_threads';
import { MarkReaders, runMarked } from './compute.js';
import type { ComputeWorkerData, FromWorker, ToWorker, WorkerFailure } from './compute-protocol.js';
import { loadServedModel, type ServedModel } from './model.js';

const port = parentPort;
if (port === null) throw new Error('serve/compute-worker.ts runs as a worker thread');
const data = workerData as ComputeWorkerData;
const post = (message: FromWorker) => port.postMessage(message);

function failure(error: unknown): WorkerFailure {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code, hint } = error as { code?: unknown; hint?: unknown };
  return {
    name: error.name,
    message: error.message,
    code: typeof code === 'string' ? code : undefined,
    hint: typeof hint === 'string' ? hint : undefined,
    stack: error.stack,
  };
}

async function load(): Promise<ServedModel> {
  const model = await loadServedModel(data.modelPath, { trust: data.trust, backend: data.backend });
  // Graph compilation and kernel caches would otherwise land in the first batches' windows.
  const perInput = model.inputShape.reduce((a, b) => a * b, 1);
  for (const count of new Set(data.warmUpCounts)) await model.run(new Float32Array(perInput * count), count);
  return model;
}

const readers = new MarkReaders();
try {
  const model = await load();
  const { run: _run, dispose: _dispose, ...info } = model;
  // One batch at a time (the batcher sends the next only after this one's answer), in order.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (message: ToWorker) => {
    queue = queue.then(async () => {
      if (message.type === 'dispose') {
        readers.close();
        await model.dispose();
        post({ type: 'disposed' });
        return;
      }
      try {
        const { output, marks } = await runMarked(
          model,
          readers.get(message.source),
          message.values,
          message.count,
        );
        // Copied, not transferred: a few floats per input, and the runtime may own the buffer.
        post({ type: 'result', id: message.id, output, marks });
      } catch (error) {
        post({ type: 'run-failed', id: message.id, error: failure(error) });
      }
    });
  });
  post({ type: 'ready', info });
} catch (error) {
  post({ type: 'load-failed', error: failure(error) });
}
