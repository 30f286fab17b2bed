// Runs `bin/edgewatt.js` as a real child process and collects its output.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/edgewatt.js', import.meta.url));

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, EDGEWATT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * `edgewatt collector <args>` as a real process (log level info), resolved once it has subscribed
 * to the broker. `args` come after `collector` (`--broker`, `--store`…).
 */
export async function startCollectorProcess(args: readonly string[], timeoutMs = 30_000): Promise<Running> {
  const collector = runCli(['collector', ...args], { EDGEWATT_LOG_LEVEL: 'info' });
  const deadline = Date.now() + timeoutMs;
  while (!collector.stderr().includes('collector subscribed')) {
    if (collector.child.exitCode !== null || Date.now() > deadline) {
      collector.child.kill('SIGKILL');
      throw new Error(`the collector did not subscribe within ${timeoutMs} ms:\n${collector.stderr()}`);
    }
    await sleep(20);
  }
  return collector;
}
