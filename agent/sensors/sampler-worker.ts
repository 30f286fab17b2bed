// The sampling worker: opens the sensor's SampleSource from its spec, then reads it every period
// (absolute schedule, sub-millisecond sleeps with Atomics.wait) into the shared ring until told
// to stop. Read errors are counted, not fatal: one bad I2C transfer must not end a measurement.

import { parentPort, workerData } from 'node:worker_threads';
import { SampleRing } from './ring-buffer.js';
import type { WorkerData, WorkerMessage } from './sampler.js';
import { openSource } from './sources.js';

const data = workerData as WorkerData;
const CATCH_UP_PERIODS = 5;
const ring = new SampleRing(data.shared);
const post = (message: WorkerMessage) => parentPort?.postMessage(message);

async function main(): Promise<void> {
  let source: Awaited<ReturnType<typeof openSource>>;
  try {
    source = await openSource(data.spec);
  } catch (error) {
    post({ type: 'error', message: (error as Error).message });
    return;
  }
  const periodMs = data.periodMs ?? source.defaultPeriodMs;
  const periodNs = periodMs * 1e6;
  post({
    type: 'ready',
    meta: {
      quantity: source.quantity,
      counterRangeJ: source.counterRangeJ,
      accuracy: source.accuracy,
      delayNs: source.delayNs,
      averaging: source.averaging === true,
      periodMs,
    },
  });
  let samples = 0;
  let readErrors = 0;
  let next = Number(process.hrtime.bigint());
  try {
    while (!ring.stopRequested) {
      const now = Number(process.hrtime.bigint());
      try {
        const value = source.read();
        ring.push(now - source.delayNs, value);
        samples++;
      } catch {
        readErrors++;
      }
      next += periodNs;
      const after = Number(process.hrtime.bigint());
      // Late by a few periods (the thread was descheduled): catch up. Far behind (a stalled bus):
      // drop the missed slots rather than burst through them.
      if (after - next > CATCH_UP_PERIODS * periodNs) next = after;
      ring.sleep((next - after) / 1e6);
    }
  } finally {
    source.close();
    post({ type: 'stopped', samples, readErrors });
  }
}

await main();
