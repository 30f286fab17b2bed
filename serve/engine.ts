// One batch through the model inside one energy window: the requests' inputs are laid end to end,
// the meter's window covers exactly the model call (marks read on the model's thread right before
// and after it, compute.ts), the outputs are cut back per request, and the window's energy is
// attributed to the requests (attribution.ts).
// The batch runner the DynamicBatcher calls, plus running totals for /metrics and /v1/status.

import { attributeBatch, type RequestEnergy } from './attribution.js';
import type { BatchCompute } from './compute.js';
import type { EnergyMeter, WindowEnergy } from './energy/meter.js';

/** One request's inputs: `count` inputs of the model's shape, float32, row-major. */
export interface InferItem {
  values: Float32Array;
  count: number;
}

export interface ItemResult {
  /** The request's outputs, `count × outputSize`. */
  output: Float32Array;
  energy: RequestEnergy;
  /** Duration of the batch's model call, s. */
  computeS: number;
}

export interface EngineTotals {
  /** Energy attributed to requests (above idle), J. */
  attributedJ: number;
  /** Idle power × compute windows, J (the requests' idle shares). */
  idleInBatchesJ: number;
  /** Seconds the model spent in batches. */
  computeS: number;
  inputs: number;
}

export class BatchEngine {
  readonly totals: EngineTotals = { attributedJ: 0, idleInBatchesJ: 0, computeS: 0, inputs: 0 };
  /** Called after every batch with its window and size (metrics). */
  onBatch: (window: WindowEnergy, inputs: number) => void = () => undefined;

  constructor(
    private readonly model: BatchCompute,
    private readonly meter: EnergyMeter,
  ) {}

  readonly run = async (items: readonly InferItem[]): Promise<ItemResult[]> => {
    const perInput = this.model.inputShape.reduce((a, b) => a * b, 1);
    const count = items.reduce((sum, item) => sum + item.count, 0);
    const values = new Float32Array(count * perInput);
    let at = 0;
    for (const item of items) {
      values.set(item.values, at);
      at += item.values.length;
    }
    const window = this.meter.begin();
    const { output, marks } = await this.model.run(values, count, this.meter.markSource);
    const energy = this.meter.end(window, marks);
    const shares = attributeBatch(
      energy,
      items.map((item) => item.count),
    );
    const size = this.model.outputSize;
    let row = 0;
    const results = items.map((item, i) => {
      const slice = output.slice(row * size, (row + item.count) * size);
      row += item.count;
      const share = shares[i] as RequestEnergy;
      this.totals.attributedJ += share.requestJ;
      this.totals.idleInBatchesJ += share.idleShareJ;
      return { output: slice, energy: share, computeS: energy.durationS };
    });
    this.totals.computeS += energy.durationS;
    this.totals.inputs += count;
    this.onBatch(energy, count);
    return results;
  };
}
