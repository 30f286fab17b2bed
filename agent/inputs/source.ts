// Where the agent's own loop takes its inputs for unattended runs: the seeded random pool (the
// load generator), files of a folder, a labelled dataset, or inputs sent over MQTT. Every source
// hands out ready-made tensors, so taking the next input inside a batched window costs nothing
// measurable; each record names its source (record field `inputSource`).

import type { InferenceRecord } from '../../protocol/index.js';
import type { Tf } from '../../runtime/backend.js';
import { randomInputPool } from '../../runtime/inputs.js';
import type { Publisher } from '../publish/publisher.js';

type Tensor = ReturnType<Tf['tensor']>;
export type InputSourceKind = NonNullable<InferenceRecord['inputSource']>;

/** What an answer to one loop input says (sent back to an MQTT sender). */
export interface LoopAnswer {
  seq: number;
  predictedClass: number;
  output: number[];
  latencyMs: number;
  energyJ: number;
  energyUncertaintyJ: number;
  provenance: string;
  /** Where it ran, when placement is on; and the offload's figures when the input was offloaded. */
  placement?: 'edge' | 'offload';
  offload?: object;
}

/** What an input that could not be answered gets (an offload that failed without fallback). */
export interface LoopFailure {
  seq: number;
  error: string;
  offload?: object;
}

export interface LoopInput {
  input: Tensor;
  label: number | null;
  /** The agent disposes it after the inference (sources that make a tensor per input). */
  owned: boolean;
  /** Called with the answer (MQTT inputs are answered on the device's answer topic). */
  reply?: (answer: LoopAnswer | LoopFailure) => void;
}

export interface InputSource {
  readonly kind: InputSourceKind;
  /** Inputs per window at most: 1 for sources whose inputs arrive one by one. */
  readonly windowLimit: number;
  /** Resolves true once next() has an input, false when the source has ended or `signal` aborts. */
  ready(signal: AbortSignal): Promise<boolean>;
  /** The next input; synchronous and cheap (it may run between the inferences of a window). */
  next(): LoopInput;
  close(): void;
}

/** What a source is opened with: the runtime and the model's input, and the device's MQTT link. */
export interface SourceContext {
  tf: Tf;
  inputShape: readonly number[];
  batchSize: number;
  publisher: Publisher;
  fleet: string;
  device: string;
}

export type InputSourceFactory = (context: SourceContext) => Promise<InputSource>;

/** Today's load generator: eight seeded random tensors, cycled; ground truth unknown. */
export const randomSource: InputSourceFactory = async ({ tf, inputShape, batchSize }) => {
  const pool = randomInputPool(tf, inputShape, batchSize);
  return {
    kind: 'random',
    windowLimit: Number.POSITIVE_INFINITY,
    ready: async (signal) => !signal.aborted,
    next: () => ({ ...pool.next(), owned: false }),
    close: () => pool.dispose(),
  };
};

/** An input of the model's shape and its label (null when unknown). */
export interface LabelledValues {
  values: Float32Array;
  label: number | null;
}

/**
 * A fixed list of inputs, cycled: made into tensors of `batchSize` inputs once, at start. A
 * tensor's label is its first input's (a batch of several has one record, judged by its first).
 */
export function poolSource(
  kind: InputSourceKind,
  items: readonly LabelledValues[],
  { tf, inputShape, batchSize }: Pick<SourceContext, 'tf' | 'inputShape' | 'batchSize'>,
): InputSource {
  const per = inputShape.reduce((a, b) => a * b, 1);
  const tensors: { input: Tensor; label: number | null }[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    const values = new Float32Array(per * batchSize);
    for (let j = 0; j < batchSize; j++)
      values.set((items[(start + j) % items.length] as LabelledValues).values, j * per);
    tensors.push({
      input: tf.tensor(values, [batchSize, ...inputShape]),
      label: items[start]?.label ?? null,
    });
  }
  let cursor = 0;
  return {
    kind,
    windowLimit: Number.POSITIVE_INFINITY,
    ready: async (signal) => !signal.aborted && tensors.length > 0,
    next: () => {
      const item = tensors[cursor++ % tensors.length];
      if (item === undefined) throw new Error(`${kind} input pool is empty`);
      return { ...item, owned: false };
    },
    close: () => {
      for (const { input } of tensors) input.dispose();
    },
  };
}
