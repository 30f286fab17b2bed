// Test support: temp dirs, the demo model written once per test file, and a running stack
// (embedded broker + collector + SQLite file) that tests start and stop themselves. About 80 test
// files import this one for tempDir() and waitFor() alone, so the broker, collector, store and
// TF.js are imported only when demoModel() or startStack() runs: importing them at the top cost
// each of those files about a second of vitest's import time.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentConfig } from '../../agent/agent.js';
import type { EmbeddedBroker } from '../../collector/broker/embedded.js';
import type { Collector } from '../../collector/collector.js';
import type { SqliteStore } from '../../collector/store/sqlite.js';

export function tempDir(prefix = 'edgewatt-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

const DEMO_KEY = 'demo-key';

/**
 * Writes the demo CNN to <dir>/demo-cnn with its manifest, signed with a fresh key pair
 * <dir>/demo-key(.pub).pem, as the agent requires; returns the model.json path. Agents trust the
 * key with `trustedKeys: [demoTrustedKey(modelPath)]` (or `--trusted-key`).
 */
export async function demoModel(dir: string): Promise<string> {
  const [{ loadRuntime }, { buildDemoCnn, DEMO_MODEL_VARIANT }, { generateKeys }, { saveWithManifest }] =
    await Promise.all([
      import('../../runtime/backend.js'),
      import('../../models/demo/demo-cnn.js'),
      import('../../models/sign/keys.js'),
      import('../models/support.js'),
    ]);
  const { tf } = await loadRuntime('wasm');
  const modelDir = join(dir, 'demo-cnn');
  const keys = await generateKeys(join(dir, DEMO_KEY));
  await saveWithManifest(tf, buildDemoCnn(tf), modelDir, {
    variant: DEMO_MODEL_VARIANT,
    architecture: 'demo-cnn',
    privateKeyPath: keys.privateKeyPath,
  });
  return join(modelDir, 'model.json');
}

/**
 * An agent config for tests: the real Agent on a signed model (demoModel()) with a simulated
 * sensor, its state in <stateRoot>/<device>; overrides win.
 */
export function agentConfig(
  broker: string,
  modelPath: string,
  stateRoot: string,
  overrides: Partial<AgentConfig> & { device: string },
): AgentConfig {
  return {
    broker,
    fleet: 'field',
    sensor: 'simulated:rpi4',
    model: modelPath,
    trustedKeys: [demoTrustedKey(modelPath)],
    rate: 200,
    count: 0,
    stateDir: join(stateRoot, overrides.device),
    batchMax: 10,
    flushMs: 100,
    encoding: 'cbor',
    backend: 'wasm',
    batchSize: 1,
    ...overrides,
  };
}

/** The public key that signed a model written by demoModel(). */
export function demoTrustedKey(modelPath: string): string {
  return join(dirname(dirname(modelPath)), `${DEMO_KEY}.pub.pem`);
}

export interface Stack {
  broker: EmbeddedBroker;
  store: SqliteStore;
  collector: Collector;
  stop(): Promise<void>;
}

export async function startStack(storePath: string): Promise<Stack> {
  const [{ startEmbeddedBroker }, { Collector }, { SqliteStore }] = await Promise.all([
    import('../../collector/broker/embedded.js'),
    import('../../collector/collector.js'),
    import('../../collector/store/sqlite.js'),
  ]);
  const broker = await startEmbeddedBroker();
  const store = new SqliteStore(storePath);
  const collector = new Collector(store, { broker: broker.url });
  await collector.start();
  return {
    broker,
    store,
    collector,
    async stop() {
      await collector.stop();
      await broker.close();
    },
  };
}

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes (then throws, saying what was awaited). */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
