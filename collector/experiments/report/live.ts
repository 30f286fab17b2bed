// The analyses behind the collector's /experiments/<id>: the experiments this collector drives
// (<data-dir>/experiments.sqlite, written by `edgewatt experiment start`), analysed from its store
// when a page asks. The analysis runs on a worker thread (live-worker.ts), off the collector's
// event loop: a large experiment takes seconds of CPU, during which MQTT acknowledgements, ingest
// and /metrics must go on. The page asks at most once per minute per experiment (web.ts), with
// fewer resamples than the command; a second request for an experiment being analysed shares the run.

import { Worker } from 'node:worker_threads';
import type { StoreOptions } from '../../store/index.js';
import type { AnalysisResult } from '../analysis-result.js';

/** Bootstrap resamples of the live page (the command's default is 9,999). */
export const LIVE_REPLICATES = 1999;

export interface LiveRequest {
  /** The experiment id; also the request's key (one run per experiment at a time). */
  id: string;
  dataDir: string;
  storeUrl: string;
  /** The collector's store settings (InfluxDB login, TLS); opened read-only. Plain data: it crosses to the worker. */
  storeOptions: StoreOptions;
  replicates: number;
}

export type LiveReply =
  | { id: string; ok: true; result: AnalysisResult | null }
  | { id: string; ok: false; message: string; stack: string };

/** Under tsx or vitest the module is TypeScript: the worker registers tsx before importing it. */
function createWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./live-worker.js', import.meta.url));
  const entry = new URL('./live-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}

export interface LiveAnalyses {
  /** The experiment's analysis now, or null when this collector knows no such experiment. */
  analyse(id: string): Promise<AnalysisResult | null>;
  close(): Promise<void>;
}

/**
 * Analyses on one long-lived worker thread, started at the first request; a crashed worker fails
 * the requests in flight and is replaced at the next one.
 */
export function liveAnalyses(
  dataDir: string,
  storeUrl: string,
  storeOptions: StoreOptions = {},
  replicates = LIVE_REPLICATES,
): LiveAnalyses {
  let worker: Worker | undefined;
  const pending = new Map<
    string,
    {
      promise: Promise<AnalysisResult | null>;
      resolve: (r: AnalysisResult | null) => void;
      reject: (e: Error) => void;
    }
  >();
  const ensureWorker = (): Worker => {
    if (worker !== undefined) return worker;
    const started = createWorker();
    started.on('message', (reply: LiveReply) => {
      const waiting = pending.get(reply.id);
      if (waiting === undefined) return;
      pending.delete(reply.id);
      if (reply.ok) waiting.resolve(reply.result);
      else {
        const error = new Error(`experiment analysis: ${reply.message}`);
        error.stack = reply.stack;
        waiting.reject(error);
      }
    });
    const fail = (error: Error) => {
      if (worker === started) worker = undefined;
      for (const waiting of pending.values()) waiting.reject(error);
      pending.clear();
    };
    started.on('error', fail);
    started.on('exit', (code) => fail(new Error(`experiment analysis worker exited with code ${code}`)));
    started.unref();
    worker = started;
    return started;
  };
  return {
    analyse(id) {
      const running = pending.get(id);
      if (running !== undefined) return running.promise;
      let resolve!: (r: AnalysisResult | null) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<AnalysisResult | null>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      pending.set(id, { promise, resolve, reject });
      ensureWorker().postMessage({
        id,
        dataDir,
        storeUrl,
        storeOptions: { ...storeOptions, readOnly: true },
        replicates,
      } satisfies LiveRequest);
      return promise;
    },
    async close() {
      const running = worker;
      worker = undefined;
      if (running !== undefined) await running.terminate();
    },
  };
}
