// Removes channels for real: builds a model with fewer filters/units from the original's
// topology and copies the kept weights into it, slicing both the pruned layer's outputs and every
// following layer's inputs (a depthwise layer, a batch norm, the dense layer after a flatten).
// With the removed channels' weights all zero, the smaller model computes the same function.

import { EdgewattError } from '../../common/errors.js';
import type { Tf } from '../../runtime/backend.js';

type LayersModel = ReturnType<Tf['sequential']>;
type Tensor = ReturnType<Tf['tensor']>;

export class PruneError extends EdgewattError {
  override readonly name = 'PruneError';
}

/** Layers that do not mix channels and carry no weights: the channel set passes through. */
const PASS_THROUGH = new Set([
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Activation',
  'ReLU',
  'Dropout',
  'InputLayer',
]);

interface TopologyLayer {
  class_name: string;
  config: Record<string, unknown>;
}

/**
 * `keep` maps a Conv2D/Dense layer name to the output channels to keep (original indices, ascending).
 * Returns a new model (the original is untouched).
 */
export async function removeChannels(
  tf: Tf,
  model: LayersModel,
  keep: ReadonlyMap<string, readonly number[]>,
): Promise<LayersModel> {
  const topology = model.toJSON(null, false) as unknown as { config: { layers: TopologyLayer[] } };
  const configs = topology.config.layers;
  const layers = model.layers;
  if (configs.length !== layers.length) {
    throw new PruneError(`model ${model.name}: only Sequential models can be pruned`);
  }
  for (const name of keep.keys()) {
    if (!layers.some((layer) => layer.name === name)) throw new PruneError(`no layer named ${name} to prune`);
  }
  // Indices of the kept channels along the current last axis (null: all of them).
  let channels: number[] | null = null;
  const newWeights: Tensor[][] = [];
  // Always a fresh tensor made from the values: clone() would share the original's buffer, and the
  // WASM GatherV2 leaves a rank-4 shape in the backend's record of its output, which FusedConv2D
  // then rejects as a bias ("only supports rank-1 bias").
  const gather = (tensor: Tensor, indices: readonly number[] | null, axis: number): Tensor => {
    const all = Array.from({ length: tensor.shape[axis] ?? 0 }, (_, i) => i);
    const gathered = tf.gather(tensor, tf.tensor1d((indices ?? all) as number[], 'int32'), axis);
    return tf.tensor(gathered.dataSync(), gathered.shape, gathered.dtype);
  };

  layers.forEach((layer, i) => {
    const className = layer.getClassName();
    const config = configs[i]?.config;
    if (config === undefined) throw new PruneError(`layer ${layer.name} has no configuration`);
    const weights = layer.getWeights();
    const kept = keep.get(layer.name);
    const outKeep: number[] | null = kept === undefined ? null : [...kept];
    if (outKeep !== null && className !== 'Conv2D' && className !== 'Dense') {
      throw new PruneError(
        `layer ${layer.name} is a ${className}; only Conv2D and Dense outputs can be pruned`,
      );
    }
    const sliced = tf.tidy(() => {
      switch (className) {
        case 'Conv2D':
        case 'Dense': {
          const [kernel, bias] = weights;
          if (kernel === undefined) throw new PruneError(`layer ${layer.name} has no kernel`);
          const inAxis = kernel.rank - 2;
          const out = [gather(gather(kernel, channels, inAxis), outKeep, kernel.rank - 1)];
          if (bias !== undefined) out.push(gather(bias, outKeep, 0));
          if (outKeep !== null) config[className === 'Conv2D' ? 'filters' : 'units'] = outKeep.length;
          channels = outKeep;
          return out;
        }
        case 'DepthwiseConv2D': {
          if ((config.depth_multiplier ?? 1) !== 1) {
            throw new PruneError(
              `layer ${layer.name}: depth multiplier ${config.depth_multiplier} is not supported`,
            );
          }
          return weights.map((w) => gather(w, channels, w.rank === 4 ? 2 : 0));
        }
        case 'BatchNormalization':
          return weights.map((w) => gather(w, channels, 0));
        case 'Flatten': {
          if (channels !== null) {
            const inputShape = (layer.input as unknown as { shape: number[] }).shape;
            const depth = inputShape[inputShape.length - 1] ?? 0;
            const positions = inputShape.slice(1, -1).reduce((a, b) => a * b, 1);
            const kept: number[] = channels;
            channels = [];
            for (let p = 0; p < positions; p++) for (const c of kept) channels.push(p * depth + c);
          }
          return [];
        }
        default:
          if (!PASS_THROUGH.has(className) || weights.length > 0) {
            throw new PruneError(
              `layer ${layer.name} is a ${className}, which channel pruning does not know how to slice`,
            );
          }
          return [];
      }
    });
    newWeights.push(sliced);
  });

  const pruned = (await tf.models.modelFromJSON(topology as never)) as LayersModel;
  pruned.layers.forEach((layer, i) => {
    const weights = newWeights[i] ?? [];
    // The variables keep their own reference to the buffers: these handles can go.
    if (weights.length > 0) layer.setWeights(weights);
    for (const w of weights) w.dispose();
  });
  return pruned;
}
