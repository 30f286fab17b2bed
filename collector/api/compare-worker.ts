// Worker thread of the compare route: a Monte Carlo run takes from milliseconds to a second of CPU,
// and the collector's event loop must keep acknowledging MQTT messages meanwhile.

import { parentPort } from 'node:worker_threads';
import { parseScenario, type Scenario, validateScenario } from '../lifecycle/index.js';
import type { ScenarioSource, WorkerReply, WorkerRequest } from './compare-runner.js';
import { runComparison } from './run-compare.js';

async function parse(source: ScenarioSource): Promise<Scenario> {
  return source.kind === 'text'
    ? parseScenario(source.text, source.origin)
    : validateScenario(source.value, source.origin);
}

const port = parentPort;
if (port === null) throw new Error('compare-worker.ts runs only as a worker thread');

port.on('message', (request: WorkerRequest) => {
  const work =
    request.task === 'parse'
      ? parse(request.source)
      : runComparison(
          request.scenario,
          request.storeUrl,
          request.options.skipFirst === undefined ? {} : { skipFirst: request.options.skipFirst },
          request.options.modelsDir,
        );
  work.then(
    (result) => port.postMessage({ id: request.id, ok: true, result } satisfies WorkerReply),
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      const problems = (e as { problems?: unknown }).problems;
      port.postMessage({
        id: request.id,
        ok: false,
        name: e.name,
        message: e.message,
        problems: Array.isArray(problems) ? (problems as string[]) : [],
        stack: e.stack ?? '',
      } satisfies WorkerReply);
    },
  );
});
