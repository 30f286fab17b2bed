// The argument list of `edgewatt agent` as integration tests run it: the signed demo model
// (demoModel()) with a simulated sensor and the WASM backend, one device, its state directory.
// Integration tests used to spell these ~20 words out each; give only what differs.

import { demoTrustedKey } from './stack.js';

export interface DemoAgent {
  broker: string;
  fleet: string;
  device: string;
  /** model.json written by demoModel(); its signing key is trusted. */
  modelPath: string;
  stateDir: string;
  /** Inferences per second (default 200). */
  rate?: number;
  /** Records per batch at most (default 10). */
  batchMax?: number;
  /** Flush interval, ms (default 50). */
  flushMs?: number;
  /** Inferences, then a graceful exit; absent: runs until stopped. */
  count?: number;
  /** `simulated:<board>` by default for rpi4. */
  sensor?: string;
  /** Flags appended as they are (`--spool sqlite`, `--username`…). */
  extra?: readonly string[];
}

/** `['agent', '--broker', …]` for runCli(). */
export function demoAgentArgs(agent: DemoAgent): string[] {
  return [
    'agent',
    ...['--broker', agent.broker, '--fleet', agent.fleet, '--device', agent.device],
    ...['--sensor', agent.sensor ?? 'simulated:rpi4', '--backend', 'wasm'],
    ...['--model', agent.modelPath, '--trusted-key', demoTrustedKey(agent.modelPath)],
    ...['--rate', String(agent.rate ?? 200), '--batch-max', String(agent.batchMax ?? 10)],
    ...['--flush-ms', String(agent.flushMs ?? 50), '--state-dir', agent.stateDir],
    ...(agent.count === undefined ? [] : ['--count', String(agent.count)]),
    ...(agent.extra ?? []),
  ];
}
