// The library API for Node applications that embed their model (package export `edgewatt/agent`):
// `const agent = await startAgent({ model, device })`, `await agent.infer(input)` for a
// prediction with the energy of that inference, `agent.feedback(seq, label)` when the truth is
// known, and Zeus/CodeCarbon-style `measure(fn)` / `beginWindow(name)` … `endWindow(name)` over
// any code. Everything goes through the agent's spool and publisher, as in `edgewatt agent`.

import { join } from 'node:path';
import { Agent, type AgentConfig, type InferAnswer } from '../agent/agent.js';
import type { InputSourceFactory } from '../agent/inputs/source.js';
import { type AgentStatus, statusText } from '../agent/serve/summary.js';
import type { CodeWindow } from '../agent/serve/windows.js';
import { inputsFactory } from '../cli/schemas/agent-api.js';
import { modelTrustConfig } from '../cli/schemas/agent-models.js';
import type { Encoding } from '../protocol/index.js';
import type { BackendName } from '../runtime/backend.js';
import {
  type DecodedInput,
  decodeImageInput,
  decodeJsonInput,
  decodeRawInput,
  type RawDtype,
} from '../runtime/decode.js';

export type { InferAnswer } from '../agent/agent.js';
export { UnknownRecordError } from '../agent/serve/answers.js';
export { QueueFullError } from '../agent/serve/queue.js';
export type { AgentStatus } from '../agent/serve/summary.js';
export type { CodeWindow } from '../agent/serve/windows.js';
export { InputError } from '../runtime/decode.js';

export interface StartAgentOptions {
  /** Path to model.json or its folder (signed, unless allowUnsigned). */
  model: string;
  /** Device id, unique in the fleet. */
  device: string;
  fleet?: string;
  /** Power sensor, `kind[:board]`; default `simulated:rpi4` (an estimate, labelled so). */
  sensor?: string;
  /** MQTT broker; records wait in the spool while it is away. Default mqtt://127.0.0.1:1883. */
  broker?: string;
  username?: string;
  password?: string;
  /** Sequence counter and spool; default .edgewatt/agent/<fleet>/<device>. */
  stateDir?: string;
  /** Trusted model keys (PEM files); default the bundled zoo key. */
  trustedKeys?: string[];
  allowUnsigned?: boolean;
  /** Also run the agent's own loop on these inputs (`random`, `dir:<path>`, `dataset:fashion-mnist`, `mqtt`); default none. */
  inputs?: string;
  /** Loop rate when `inputs` is given, per second (0 = back to back). Default 10. */
  rate?: number;
  warmup?: number;
  backend?: BackendName;
  encoding?: Encoding;
  batchMax?: number;
  flushMs?: number;
  /** Calls that may wait for the model at once (default 64). */
  queueMax?: number;
}

/**
 * An input for infer(): nested arrays of numbers (one input or a list), a typed array with its
 * shape (float32, int32 or uint8), or the bytes of a PNG/JPEG image.
 */
export type LibraryInput =
  | unknown[]
  | { values: Float32Array | Int32Array | Uint8Array; shape: readonly number[] }
  | Uint8Array;

export interface EdgewattAgent {
  /** The agent itself, for what this wrapper does not cover. */
  readonly agent: Agent;
  infer(input: LibraryInput, options?: { label?: number }): Promise<InferAnswer>;
  feedback(seq: number, label: number): { seq: number; label: number; correct: boolean };
  measure<T>(fn: () => T | Promise<T>): Promise<{ result: T; window: CodeWindow }>;
  measure<T>(name: string, fn: () => T | Promise<T>): Promise<{ result: T; window: CodeWindow }>;
  beginWindow(name: string): Promise<void>;
  endWindow(name: string): Promise<CodeWindow>;
  status(): AgentStatus;
  statusText(): string;
  /** Seals what is pending, waits for the broker (up to drainTimeoutMs), closes. */
  stop(drainTimeoutMs?: number): Promise<void>;
}

function decode(input: LibraryInput, inputShape: readonly number[]): DecodedInput {
  if (Array.isArray(input)) return decodeJsonInput(input, inputShape);
  if (input instanceof Uint8Array) return decodeImageInput(input, inputShape);
  const dtype: RawDtype =
    input.values instanceof Float32Array ? 'float32' : input.values instanceof Int32Array ? 'int32' : 'uint8';
  const bytes = new Uint8Array(input.values.buffer, input.values.byteOffset, input.values.byteLength);
  return decodeRawInput(bytes, dtype, input.shape, inputShape);
}

export async function startAgent(options: StartAgentOptions): Promise<EdgewattAgent> {
  const fleet = options.fleet ?? 'default';
  const trust = modelTrustConfig({
    trustedKey: options.trustedKeys ?? [],
    allowUnsigned: options.allowUnsigned ?? false,
  });
  const inputs: InputSourceFactory | null =
    options.inputs === undefined ? null : await inputsFactory({ inputs: options.inputs });
  const config: AgentConfig = {
    broker: options.broker ?? 'mqtt://127.0.0.1:1883',
    fleet,
    device: options.device,
    sensor: options.sensor ?? 'simulated:rpi4',
    model: options.model,
    ...trust,
    warmup: options.warmup,
    rate: options.rate ?? 10,
    count: 0,
    stateDir: options.stateDir ?? join('.edgewatt', 'agent', fleet, options.device),
    batchMax: options.batchMax ?? 50,
    flushMs: options.flushMs ?? 1000,
    encoding: options.encoding ?? 'cbor',
    batchSize: 1,
    inputs,
    ...(options.backend === undefined ? {} : { backend: options.backend }),
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.queueMax === undefined ? {} : { queueMax: options.queueMax }),
  };
  const agent = await Agent.start(config);
  let anonymous = 0;
  return {
    agent,
    infer: (input, inferOptions = {}) =>
      agent.infer(decode(input, agent.inputShape), {
        source: 'library',
        ...(inferOptions.label === undefined ? {} : { label: inferOptions.label }),
      }),
    feedback: (seq, label) => agent.feedback(seq, label),
    measure<T>(nameOrFn: string | (() => T | Promise<T>), maybeFn?: () => T | Promise<T>) {
      const name = typeof nameOrFn === 'string' ? nameOrFn : `window-${++anonymous}`;
      const fn = typeof nameOrFn === 'string' ? maybeFn : nameOrFn;
      if (fn === undefined) throw new TypeError('measure(name, fn) needs a function to measure');
      return agent.measure(name, fn);
    },
    beginWindow: async (name) => {
      await agent.beginWindow(name);
    },
    endWindow: (name) => agent.endWindow(name),
    status: () => agent.status(),
    statusText: () => statusText(agent.status()),
    stop: async (drainTimeoutMs) => {
      await agent.stop(drainTimeoutMs);
    },
  };
}
