// Counts the work of a TensorFlow.js layers model: multiply-adds (MACs) per inference of one
// input, and parameters, layer by layer, from the layer configurations and output shapes alone
// (no weights need to be trained or even meaningful). As in the MobileNet paper, only
// convolutions (standard, depthwise, separable) and dense layers count; pooling, activations,
// normalisation and additions are left out. "FLOPs" in edgewatt means these multiply-adds.

import { EdgewattError } from '../../common/errors.js';
import type { Tf } from '../../runtime/backend.js';

type LayersModel = ReturnType<Tf['sequential']>;
type Layer = LayersModel['layers'][number];

export interface LayerCost {
  name: string;
  className: string;
  macs: number;
  params: number;
  outputShape: number[];
}

export interface ModelCost {
  macs: number;
  params: number;
  layers: LayerCost[];
}

export class FlopsCountError extends EdgewattError {
  override readonly name = 'FlopsCountError';
}

function fixed(shape: readonly (number | null)[], layer: Layer, which: string): number[] {
  return shape.slice(1).map((dim, index) => {
    if (dim === null || dim < 0) {
      throw new FlopsCountError(
        `layer ${layer.name}: ${which} dimension ${index + 1} is not fixed; FLOPs need a fixed input shape`,
      );
    }
    return dim;
  });
}

function outputShapeOf(layer: Layer): number[] {
  const shape = layer.outputShape;
  const first = Array.isArray(shape[0]) ? (shape[0] as (number | null)[]) : (shape as (number | null)[]);
  return fixed(first, layer, 'output');
}

function inputShapeOf(layer: Layer): number[] {
  const input = layer.input as unknown as { shape: (number | null)[] } | { shape: (number | null)[] }[];
  const first = Array.isArray(input) ? input[0] : input;
  if (first === undefined) throw new FlopsCountError(`layer ${layer.name} has no input`);
  return fixed(first.shape, layer, 'input');
}

const product = (values: readonly number[]) => values.reduce((a, b) => a * b, 1);

/** Multiply-adds of one layer for one input. */
export function layerMacs(layer: Layer): number {
  const className = layer.getClassName();
  if (className === 'Dense') {
    const config = layer.getConfig() as { units: number };
    const input = inputShapeOf(layer);
    // A dense layer on a rank > 1 input applies to the last axis at every other position.
    return product(input) * config.units;
  }
  if (className === 'Conv2D' || className === 'DepthwiseConv2D' || className === 'SeparableConv2D') {
    const config = layer.getConfig() as {
      kernelSize: number[];
      filters?: number;
      depthMultiplier?: number;
      dataFormat?: string;
    };
    if (config.dataFormat === 'channelsFirst')
      throw new FlopsCountError(`layer ${layer.name}: channelsFirst is not supported; use channelsLast`);
    const [outH = 0, outW = 0, outC = 0] = outputShapeOf(layer);
    const inC = inputShapeOf(layer)[2] ?? 0;
    const kernel = product(config.kernelSize);
    if (className === 'Conv2D') return outH * outW * kernel * inC * outC;
    const multiplier = config.depthMultiplier ?? 1;
    const depthwise = outH * outW * kernel * inC * multiplier;
    if (className === 'DepthwiseConv2D') return depthwise;
    return depthwise + outH * outW * inC * multiplier * outC;
  }
  return 0;
}

export function countCost(model: LayersModel): ModelCost {
  const layers = model.layers.map((layer) => ({
    name: layer.name,
    className: layer.getClassName(),
    macs: layerMacs(layer),
    params: layer.countParams(),
    outputShape: outputShapeOf(layer),
  }));
  return {
    macs: layers.reduce((sum, layer) => sum + layer.macs, 0),
    params: layers.reduce((sum, layer) => sum + layer.params, 0),
    layers,
  };
}
