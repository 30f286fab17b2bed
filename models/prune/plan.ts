// Plans and runs structured pruning to a FLOPs target: the same fraction of channels is removed
// from every prunable layer (lowest L1 norm first), and the fraction is the smallest that reaches
// the target reduction of multiply-adds. The hardware-aware option rounds every kept channel
// count to a multiple of 8 or 16 (the block width of SIMD units and accelerators), so the target
// is met with whole blocks.

import type { Tf } from '../../runtime/backend.js';
import { countCost } from '../analysis/flops.js';
import { l1Norms, type PrunableLayer, prunableLayers, topChannels } from './rank.js';
import { PruneError, removeChannels } from './surgery.js';

type LayersModel = ReturnType<Tf['sequential']>;

export interface PrunePlan {
  /** Fraction of channels removed from each prunable layer (before rounding). */
  channelFraction: number;
  /** Kept channel count per prunable layer, by name. */
  keepCounts: Record<string, number>;
  /** Multiply-adds before and after. */
  baseMacs: number;
  prunedMacs: number;
  flopsReduction: number;
}

export function keptCount(width: number, fraction: number, multiple: number): number {
  const exact = width * (1 - fraction);
  if (multiple <= 1) return Math.max(1, Math.min(width, Math.round(exact)));
  const rounded = Math.max(multiple, Math.round(exact / multiple) * multiple);
  // A layer narrower than one block keeps what it has.
  return Math.min(width, rounded);
}

async function macsWith(
  tf: Tf,
  model: LayersModel,
  layers: PrunableLayer[],
  counts: number[],
): Promise<number> {
  const keep = new Map(
    layers.map((layer, i) => [layer.name, Array.from({ length: counts[i] ?? 0 }, (_, c) => c)]),
  );
  const candidate = await removeChannels(tf, model, keep);
  const macs = countCost(candidate).macs;
  candidate.dispose();
  return macs;
}

/** The smallest uniform channel fraction whose pruned model has `targetReduction` fewer MACs. */
export async function planPruning(
  tf: Tf,
  model: LayersModel,
  targetReduction: number,
  multiple = 1,
): Promise<PrunePlan> {
  if (!(targetReduction > 0 && targetReduction < 1)) {
    throw new PruneError(
      `target FLOPs reduction ${targetReduction} must be between 0 and 1 (e.g. 0.5 for 50 %)`,
    );
  }
  const layers = prunableLayers(model);
  if (layers.length === 0) throw new PruneError(`model ${model.name} has no prunable Conv2D or Dense layer`);
  const baseMacs = countCost(model).macs;
  const countsFor = (fraction: number) => layers.map((layer) => keptCount(layer.width, fraction, multiple));
  const reductionAt = async (fraction: number) =>
    1 - (await macsWith(tf, model, layers, countsFor(fraction))) / baseMacs;
  let low = 0;
  let high = 0.99;
  if ((await reductionAt(high)) < targetReduction) {
    throw new PruneError(
      `a ${(targetReduction * 100).toFixed(0)} % FLOPs reduction cannot be reached by channel pruning of ${model.name}` +
        (multiple > 1 ? ` with channel counts in multiples of ${multiple}; try a smaller multiple` : ''),
    );
  }
  for (let step = 0; step < 24; step++) {
    const mid = (low + high) / 2;
    if ((await reductionAt(mid)) >= targetReduction) high = mid;
    else low = mid;
  }
  const counts = countsFor(high);
  const prunedMacs = await macsWith(tf, model, layers, counts);
  return {
    channelFraction: high,
    keepCounts: Object.fromEntries(layers.map((layer, i) => [layer.name, counts[i] ?? 0])),
    baseMacs,
    prunedMacs,
    flopsReduction: 1 - prunedMacs / baseMacs,
  };
}

/** Applies a plan: keeps the highest-L1 channels of each layer, removes the rest. */
export function applyPlan(tf: Tf, model: LayersModel, plan: PrunePlan): Promise<LayersModel> {
  const keep = new Map<string, number[]>();
  for (const [name, count] of Object.entries(plan.keepCounts)) {
    keep.set(name, topChannels(l1Norms(model, name), count));
  }
  return removeChannels(tf, model, keep);
}
