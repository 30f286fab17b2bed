// The sampling worker: opens the sensor's SampleSource from its spec, then reads it every period
// (absolute schedule, sub-millisecond sleeps with Atomics.wait) into the shared ring until told
// to stop. Read errors are counted, not fatal: one bad I2C transfer must not end a measurement.

import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { monotonicNs } from './clock.js';
import { openSource } from './index.js';
import { SampleRing } from './ring-buffer.js';
import type { WorkerData, WorkerMessage } from './sampler.js';

const data = workerData as WorkerData;
const CATCH_UP_PERIODS = 5;
/** How often the thread's own CPU time is published, in samples (Linux: /proc/thread-self). */
const CPU_EVERY_SAMPLES = 1000;

/** This thread's CPU time in seconds (schedstat's first field is on-CPU ns), or NaN off Linux. */
function threadCpuS(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]) / 1e9;
  } catch {
    return Number.NaN;
  }
}
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
  let next = monotonicNs();
  try {
    while (!ring.stopRequested) {
      const now = monotonicNs();
      try {
        const value = source.read();
        ring.push(now - source.delayNs, value);
        samples++;
        if (samples % CPU_EVERY_SAMPLES === 0) ring.writerCpuS = threadCpuS();
      } catch {
        readErrors++;
      }
      ring.attemptedNs = now - source.delayNs;
      next += periodNs;
      const after = monotonicNs();
      // Late by a few periods (the thread was descheduled): catch up. Far behind (a stalled bus):
      // drop the missed slots rather than burst through them.
      if (after - next > CATCH_UP_PERIODS * periodNs) next = after;
      ring.sleep((next - after) / 1e6);
    }
  } finally {
    ring.writerCpuS = threadCpuS();
    source.close();
    post({ type: 'stopped', samples, readErrors });
  }
}

await main();
