// Worker thread of the collector's live experiment page: one analysis (store read, bootstrap,
// life-cycle Monte Carlo) takes seconds of CPU on a large experiment, and the collector's event
// loop must keep acknowledging MQTT messages and answering /metrics meanwhile. Opens its own
// read-only store and experiments file per request (both are safe to read beside the writer).

import { existsSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { capability, createStore } from '../../store/index.js';
import { analyseExperiment, ExperimentDb, experimentsDbPath } from '../index.js';
import type { LiveReply, LiveRequest } from './live.js';

async function analyse(request: LiveRequest) {
  const path = experimentsDbPath(request.dataDir);
  // No experiments file: this collector never ran one (and opening it would create it).
  if (!existsSync(path)) return null;
  const db = new ExperimentDb(path);
  try {
    if (db.get(request.id) === null) return null;
    const store = capability(
      createStore(request.storeUrl, { ...request.storeOptions, readOnly: true }),
      'readRecords',
      '--store',
    );
    await store.connect();
    try {
      return await analyseExperiment(db, store, request.id, { replicates: request.replicates });
    } finally {
      await store.close();
    }
  } finally {
    db.close();
  }
}

const port = parentPort;
if (port === null) throw new Error('live-worker.ts runs only as a worker thread');

port.on('message', (request: LiveRequest) => {
  analyse(request).then(
    (result) => port.postMessage({ id: request.id, ok: true, result } satisfies LiveReply),
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({
        id: request.id,
        ok: false,
        message: e.message,
        stack: e.stack ?? '',
      } satisfies LiveReply);
    },
  );
});
