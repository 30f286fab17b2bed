// The TensorFlow.js WASM backend runs convolutions forward but lacks three kernels that training
// needs (Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput/Filter). This registers them,
// built from WASM kernels it does have (Transpose, Conv2D and DepthwiseConv2dNative with dilation
// or explicit padding, Reverse, Sum, Slice), so training stays in WASM; cases outside the fast
// paths (strided depthwise input gradient) are computed by the CPU backend's kernel.

import type { Tf } from '../../runtime/backend.js';

type Info = { dataId: object; shape: number[]; dtype: string };
type Attrs = Record<string, unknown>;
interface WasmLike {
  disposeData(dataId: object): boolean;
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: ArrayLike<number>): Info;
}

const MISSING = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
] as const;

const replaced = new WeakSet<object>();

export function registerWasmGradients(tf: Tf): void {
  const kernel = (name: string, backend: string) => {
    const config = tf.getKernel(name, backend);
    if (config === undefined) throw new Error(`TensorFlow.js kernel ${name} is missing for ${backend}`);
    return config.kernelFunc as (args: {
      inputs: Record<string, Info>;
      backend: unknown;
      attrs: Attrs;
    }) => Info;
  };
  const call = (name: string, backend: WasmLike, inputs: Record<string, Info>, attrs: Attrs = {}) =>
    kernel(name, 'wasm')({ inputs, backend, attrs });
  const free = (backend: WasmLike, ...infos: Info[]) => {
    for (const info of infos) backend.disposeData(info.dataId);
  };
  const padOf = (xShape: number[], filterShape: number[], attrs: Attrs, depthwise: boolean) =>
    tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      attrs.strides as [number, number],
      1,
      attrs.pad as 'same' | 'valid',
      attrs.dimRoundingMode as 'floor' | undefined,
      depthwise,
    );
  const strideOf = (attrs: Attrs): [number, number] => {
    const s = attrs.strides as number | [number, number];
    return typeof s === 'number' ? [s, s] : s;
  };

  /** Runs the CPU backend's kernel on copies of the inputs; slow, used only off the fast paths. */
  const onCpu = (name: string, backend: WasmLike, inputs: Record<string, Info>, attrs: Attrs): Info => {
    const cpu = tf.findBackend('cpu') as unknown as WasmLike & {
      write(values: ArrayLike<number>, shape: number[], dtype: string): object;
    };
    const cpuInputs: Record<string, Info> = {};
    for (const [key, info] of Object.entries(inputs)) {
      cpuInputs[key] = { ...info, dataId: cpu.write(backend.readSync(info.dataId), info.shape, info.dtype) };
    }
    const out = kernel(name, 'cpu')({ inputs: cpuInputs, backend: cpu, attrs });
    const values = cpu.readSync(out.dataId);
    free(cpu, out, ...Object.values(cpuInputs));
    return backend.makeOutput(out.shape, out.dtype, undefined, values);
  };

  // dW[kh,kw,ci,co] = Σ_b,y,x Xpad[b, y·s+kh, x·s+kw, ci] · dY[b,y,x,co]: a convolution of the input
  // seen as [ci, H, W, batch] with dY seen as a [oh, ow, batch, co] filter dilated by the stride.
  const conv2dFilter = (backend: WasmLike, x: Info, dy: Info, attrs: Attrs): Info => {
    const filterShape = attrs.filterShape as number[];
    const info = padOf(x.shape, filterShape, attrs, false);
    const [kh = 0, kw = 0] = filterShape;
    const xT = call('Transpose', backend, { x }, { perm: [3, 1, 2, 0] });
    const dyT = call('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
    const { top, bottom, left, right } = info.padInfo;
    const full = call(
      'Conv2D',
      backend,
      { x: xT, filter: dyT },
      {
        strides: [1, 1],
        dilations: strideOf(attrs),
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    free(backend, xT, dyT);
    let cropped = full;
    if (full.shape[1] !== kh || full.shape[2] !== kw) {
      cropped = call('Slice', backend, { x: full }, { begin: [0, 0, 0, 0], size: [-1, kh, kw, -1] });
      free(backend, full);
    }
    const out = call('Transpose', backend, { x: cropped }, { perm: [1, 2, 0, 3] });
    free(backend, cropped);
    return out;
  };

  // Per channel c: dW[kh,kw,c] = Σ_b Xpad[b,·,·,c] ⋆ dY[b,·,·,c]. Folding the batch into channels
  // ([1, H, W, batch·C]) makes it one depthwise convolution with dY as a dilated filter, then a sum.
  const depthwiseFilter = (backend: WasmLike, x: Info, dy: Info, attrs: Attrs): Info => {
    const filterShape = attrs.filterShape as number[];
    const [kh = 0, kw = 0, channels = 0, multiplier = 1] = filterShape;
    if (multiplier !== 1) return onCpu('DepthwiseConv2dNativeBackpropFilter', backend, { x, dy }, attrs);
    const info = padOf(x.shape, filterShape, attrs, true);
    const [batch = 0, h = 0, w = 0] = x.shape;
    const [, oh = 0, ow = 0] = dy.shape;
    const xT = call('Transpose', backend, { x }, { perm: [1, 2, 0, 3] });
    const xFolded = call('Reshape', backend, { x: xT }, { shape: [1, h, w, batch * channels] });
    const dyT = call('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
    const dyFolded = call('Reshape', backend, { x: dyT }, { shape: [oh, ow, batch * channels, 1] });
    const { top, bottom, left, right } = info.padInfo;
    const full = call(
      'DepthwiseConv2dNative',
      backend,
      { x: xFolded, filter: dyFolded },
      {
        strides: [1, 1],
        dilations: strideOf(attrs),
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
      },
    );
    free(backend, xT, xFolded, dyT, dyFolded);
    const cropped = call('Slice', backend, { x: full }, { begin: [0, 0, 0, 0], size: [1, kh, kw, -1] });
    free(backend, full);
    const unfolded = call('Reshape', backend, { x: cropped }, { shape: [kh, kw, batch, channels] });
    const summed = call('Sum', backend, { x: unfolded }, { axis: [2], keepDims: false });
    free(backend, cropped, unfolded);
    const out = call('Reshape', backend, { x: summed }, { shape: [kh, kw, channels, 1] });
    free(backend, summed);
    return out;
  };

  // Stride 1: dX is dY convolved (depthwise) with the kernel flipped in space, padded by k−1−pad.
  const depthwiseInput = (backend: WasmLike, dy: Info, filter: Info, attrs: Attrs): Info => {
    const inputShape = attrs.inputShape as number[];
    const [s1, s2] = strideOf(attrs);
    const [kh = 0, kw = 0, , multiplier = 1] = filter.shape;
    if (s1 !== 1 || s2 !== 1 || multiplier !== 1)
      return onCpu('DepthwiseConv2dNativeBackpropInput', backend, { dy, filter }, attrs);
    const { top, bottom, left, right } = padOf(inputShape, filter.shape, attrs, true).padInfo;
    const flipped = call('Reverse', backend, { x: filter }, { dims: [0, 1] });
    const out = call(
      'DepthwiseConv2dNative',
      backend,
      { x: dy, filter: flipped },
      {
        strides: [1, 1],
        dilations: [1, 1],
        pad: [
          [0, 0],
          [kh - 1 - top, kh - 1 - bottom],
          [kw - 1 - left, kw - 1 - right],
          [0, 0],
        ],
      },
    );
    free(backend, flipped);
    return out;
  };

  // The WASM Conv2DBackpropInput is a plain loop (3–10× slower than its XNNPACK Conv2D). At stride 1,
  // dX is dY convolved with the kernel flipped in space and with in/out channels swapped.
  const slowConv2dInput = kernel('Conv2DBackpropInput', 'wasm');
  const conv2dInput = (backend: WasmLike, dy: Info, filter: Info, attrs: Attrs): Info => {
    const [s1, s2] = strideOf(attrs);
    if (s1 !== 1 || s2 !== 1 || (attrs.dataFormat ?? 'NHWC') !== 'NHWC')
      return slowConv2dInput({ inputs: { dy, filter }, backend, attrs });
    const [kh = 0, kw = 0] = filter.shape;
    const { top, bottom, left, right } = padOf(
      attrs.inputShape as number[],
      filter.shape,
      attrs,
      false,
    ).padInfo;
    const swapped = call('Transpose', backend, { x: filter }, { perm: [0, 1, 3, 2] });
    const flipped = call('Reverse', backend, { x: swapped }, { dims: [0, 1] });
    free(backend, swapped);
    const out = call(
      'Conv2D',
      backend,
      { x: dy, filter: flipped },
      {
        strides: [1, 1],
        dilations: [1, 1],
        pad: [
          [0, 0],
          [kh - 1 - top, kh - 1 - bottom],
          [kw - 1 - left, kw - 1 - right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    free(backend, flipped);
    return out;
  };

  const implementations: Record<
    (typeof MISSING)[number],
    (b: WasmLike, i: Record<string, Info>, a: Attrs) => Info
  > = {
    Conv2DBackpropFilter: (b, i, a) => conv2dFilter(b, i.x as Info, i.dy as Info, a),
    DepthwiseConv2dNativeBackpropFilter: (b, i, a) => depthwiseFilter(b, i.x as Info, i.dy as Info, a),
    DepthwiseConv2dNativeBackpropInput: (b, i, a) => depthwiseInput(b, i.dy as Info, i.filter as Info, a),
  };
  if (!replaced.has(tf)) {
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel({
      kernelName: 'Conv2DBackpropInput',
      backendName: 'wasm',
      kernelFunc: (({
        inputs,
        backend,
        attrs,
      }: {
        inputs: Record<string, Info>;
        backend: WasmLike;
        attrs: Attrs;
      }) => conv2dInput(backend, inputs.dy as Info, inputs.filter as Info, attrs)) as unknown as Parameters<
        Tf['registerKernel']
      >[0]['kernelFunc'],
    });
    replaced.add(tf);
  }
  for (const name of MISSING) {
    if (tf.getKernel(name, 'wasm') !== undefined) continue;
    const implementation = implementations[name];
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: (({
        inputs,
        backend,
        attrs,
      }: {
        inputs: Record<string, Info>;
        backend: WasmLike;
        attrs: Attrs;
      }) => implementation(backend, inputs, attrs)) as unknown as Parameters<
        Tf['registerKernel']
      >[0]['kernelFunc'],
    });
  }
}
