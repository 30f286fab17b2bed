// Set-ups of the in-process agent tests on the zoo CNN (offload, input sources): an agent that by
// default runs no loop of its own (the test's requests are the load), and a real in-process
// `edgewatt serve` of the same model, with the options the tests do not vary fixed here.

import { fileURLToPath } from 'node:url';
import type { AgentConfig } from '../../agent/agent.js';
import { trustFromKeyFiles } from '../../protocol/manifest/index.js';
import { type RunningServe, startServe } from '../../serve/server.js';

export const ZOO_MODEL = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));

/** An agent of fleet `lab` on ZOO_MODEL (unsigned allowed, simulated rpi4), no loop, no warm-up. */
export function zooAgentConfig(options: {
  broker: string;
  device: string;
  stateDir: string;
  offload?: AgentConfig['offload'];
  username?: string;
  password?: string;
}): AgentConfig {
  const { broker, device, stateDir, offload, ...credentials } = options;
  return {
    broker,
    fleet: 'lab',
    device,
    ...credentials,
    sensor: 'simulated:rpi4',
    model: ZOO_MODEL,
    allowUnsigned: true,
    warmup: 0,
    rate: 0,
    count: 0,
    stateDir,
    batchMax: 50,
    flushMs: 50,
    encoding: 'cbor',
    batchSize: 1,
    inputs: null,
    ...(offload === undefined ? {} : { offload }),
  };
}

/** A real `edgewatt serve` of ZOO_MODEL on a free port (server dc-test in FR, estimated energy), ready. */
export async function startZooServe(options: {
  maxBatchSize: number;
  credentialsPath: string | null;
}): Promise<RunningServe> {
  const serve = await startServe({
    host: '127.0.0.1',
    port: 0,
    modelPath: ZOO_MODEL,
    trust: trustFromKeyFiles([], true),
    maxBatchSize: options.maxBatchSize,
    maxQueueDelayMs: 1,
    maxQueue: 8,
    maxBodyBytes: 1 << 20,
    credentialsPath: options.credentialsPath,
    identity: { id: 'dc-test', region: 'FR', pueClass: 'hyperscale' },
    energy: 'estimated',
  });
  await serve.ready;
  return serve;
}
