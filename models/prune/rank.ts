// Which channels to keep: convolution filters and dense units ranked by the L1 norm of their
// weights (Li et al., "Pruning Filters for Efficient ConvNets", 2017). The layers that can lose
// outputs are the Conv2D and Dense layers except the last layer with weights (the class scores).

import type { Tf } from '../../runtime/backend.js';

type LayersModel = ReturnType<Tf['sequential']>;

export interface PrunableLayer {
  name: string;
  className: 'Conv2D' | 'Dense';
  /** Output channels (filters) or units. */
  width: number;
}

export function prunableLayers(model: LayersModel): PrunableLayer[] {
  const weighted = model.layers.filter((layer) => layer.countParams() > 0);
  const last = weighted[weighted.length - 1];
  return weighted
    .filter((layer) => layer !== last)
    .flatMap((layer) => {
      const className = layer.getClassName();
      if (className !== 'Conv2D' && className !== 'Dense') return [];
      const config = layer.getConfig() as { filters?: number; units?: number };
      const width = className === 'Conv2D' ? config.filters : config.units;
      return width === undefined ? [] : [{ name: layer.name, className, width }];
    });
}

/** L1 norm of each output channel's incoming weights (kernel only; the bias is left out). */
export function l1Norms(model: LayersModel, layerName: string): Float32Array {
  const layer = model.getLayer(layerName);
  const kernel = layer.getWeights()[0];
  if (kernel === undefined) return new Float32Array();
  const axes = kernel.shape.map((_, axis) => axis).slice(0, -1);
  const norms = kernel.abs().sum(axes);
  const values = norms.dataSync() as Float32Array;
  norms.dispose();
  return values;
}

/** The `keep` highest-norm channels, in their original order (ties keep the earlier channel). */
export function topChannels(norms: Float32Array, keep: number): number[] {
  const order = Array.from(norms, (norm, index) => ({ norm, index }));
  order.sort((a, b) => b.norm - a.norm || a.index - b.index);
  return order
    .slice(0, keep)
    .map((entry) => entry.index)
    .sort((a, b) => a - b);
}
