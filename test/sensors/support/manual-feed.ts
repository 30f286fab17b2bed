// A SampleFeed the test fills by hand (or from a SampleSource at chosen times), so that sampled
// sensors can be tested without a worker thread and with exactly known sample times.

import type { SensorAccuracy } from '../../../agent/measure/uncertainty.js';
import { SampleRing } from '../../../agent/sensors/ring-buffer.js';
import type { SampleFeed, SourceMeta } from '../../../agent/sensors/sampler.js';
import type { SampleQuantity, SampleSource } from '../../../agent/sensors/sensor.js';

export class ManualFeed implements SampleFeed {
  readonly ring: SampleRing;
  started = false;
  stopped = false;
  /** Set false to play a sampler whose worker exited. */
  running = true;

  constructor(
    readonly meta: SourceMeta,
    capacity = 1 << 16,
  ) {
    this.ring = SampleRing.create(capacity);
  }

  static power(
    periodMs: number,
    accuracy: SensorAccuracy = { gainErrorRel: 0, quantum: 0 },
    averaging = false,
  ): ManualFeed {
    return new ManualFeed({
      quantity: 'power',
      counterRangeJ: Infinity,
      accuracy,
      delayNs: 0,
      averaging,
      periodMs,
    });
  }

  static of(source: SampleSource, periodMs: number, quantity: SampleQuantity = source.quantity): ManualFeed {
    return new ManualFeed({
      quantity,
      counterRangeJ: source.counterRangeJ,
      accuracy: source.accuracy,
      delayNs: source.delayNs,
      averaging: source.averaging === true,
      periodMs,
    });
  }

  push(tNs: number, value: number): void {
    this.ring.push(tNs, value);
  }

  async start(): Promise<SourceMeta> {
    this.started = true;
    return this.meta;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}
