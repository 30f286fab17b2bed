// `--backend onnx-wasm` (runtime/backend-choice.ts): an agent asked for the WebAssembly ONNX
// runtime runs the committed fixture on it even where the native one loads, through its queue and
// energy windows, with the fixture's known answer, and names onnx-wasm in its status and answers;
// an ONNX choice for a TF.js starting model is refused at start. In-process agents, but they
// reach for a broker (none listens), hence the integration set.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, type AgentConfig } from '../../agent/agent.js';
import { ModelLoadError } from '../../protocol/manifest/index.js';
import { loadOptionsOf } from '../../runtime/backend-choice.js';
import { tempDir } from '../support/stack.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/onnx/tiny', import.meta.url));
const ZOO_MODEL = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));
const dir = tempDir('edgewatt-onnx-backend-');
afterAll(() => dir.remove());

const config = (model: string, backend: AgentConfig['backend'], device: string): AgentConfig => ({
  broker: 'mqtt://127.0.0.1:1', // none: records wait in the spool
  fleet: 'test',
  device,
  sensor: 'simulated:rpi4',
  model,
  allowUnsigned: true,
  warmup: 2,
  rate: 0,
  count: 0,
  stateDir: join(dir.path, device),
  batchMax: 50,
  flushMs: 1000,
  encoding: 'cbor',
  batchSize: 1,
  inputs: null,
  spool: { fsync: 'never' },
  backend,
});

describe('--backend for ONNX models', () => {
  it('maps each choice to the load options: a TF.js start, the ONNX order from the choice on', () => {
    expect(loadOptionsOf(undefined)).toEqual({});
    expect(loadOptionsOf('wasm')).toEqual({ tfBackend: 'wasm' });
    expect(loadOptionsOf('onnx-cpu')).toEqual({ onnxOrder: ['onnx-cpu', 'onnx-wasm'] });
    expect(loadOptionsOf('onnx-wasm')).toEqual({ onnxOrder: ['onnx-wasm'] });
  });

  it('onnx-wasm runs the fixture on the WebAssembly runtime, measured, with its known answer', async () => {
    const agent = await Agent.start(config(FIXTURE, 'onnx-wasm', 'wasm-forced'));
    try {
      expect(agent.status().backend).toBe('onnx-wasm');
      const answer = await agent.infer({ values: new Float32Array(784).fill(0.5), count: 1 });
      expect(answer.backend).toBe('onnx-wasm');
      // The fixture's answer for an all-0.5 input (test/agent/onnx-window.test.ts, onnxruntime-node).
      expect(answer.predictedClass).toEqual([9]);
      expect(answer.energy.energyJ).toBeGreaterThan(0);
      expect(answer.latencyMs).toBeGreaterThan(0);
    } finally {
      await agent.stop(0);
    }
  });

  it('refuses an ONNX runtime for a TF.js starting model, naming the flag', async () => {
    const error = await Agent.start(config(ZOO_MODEL, 'onnx-wasm', 'tfjs-refused')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(/--backend onnx-wasm runs ONNX models/);
  });
});
