// Ends a server process a test set-up started (mosquitto, influxd) and waits for its exit; a
// process that already ended is left alone.

import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** SIGTERM (SIGKILL with `kill`, as on power loss), then resolves on its exit. */
export async function endChild(child: ChildProcess | undefined, { kill = false } = {}): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(kill ? 'SIGKILL' : 'SIGTERM');
  await exited;
}
