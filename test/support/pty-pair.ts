// A pair of connected pseudo-terminals made by socat, standing in for a USB serial cable: the
// emulator opens one end, the bridge the other. Killing socat is unplugging the cable (both ends
// close); starting a new pair on the same link names is plugging it back in.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PtyPair {
  /** The device side (the emulator writes here). */
  device: string;
  /** The host side (the bridge opens this). */
  host: string;
  unplug(): Promise<void>;
}

export async function startPtyPair(dir: string, name = 'tty'): Promise<PtyPair> {
  const device = join(dir, `${name}-device`);
  const host = join(dir, `${name}-host`);
  const socat: ChildProcess = spawn(
    'socat',
    [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${host}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  socat.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
  // A deadline, not a count of sleeps: a loaded machine may start socat late (it was 2 s).
  const deadline = Date.now() + 15_000;
  while (!(existsSync(device) && existsSync(host)) && Date.now() < deadline && socat.exitCode === null)
    await sleep(20);
  if (!(existsSync(device) && existsSync(host))) {
    socat.kill('SIGKILL');
    throw new Error(`socat made no pseudo-terminals in 15 s: ${stderr}`);
  }
  // Held open for the pair's life: when the emulator closes the device side, the host side must
  // not see a hang-up (a board that resets is still plugged in). Only unplug() ends the pair.
  const keeper = openSync(device, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  return {
    device,
    host,
    async unplug() {
      closeSync(keeper);
      if (socat.exitCode === null && socat.signalCode === null) socat.kill('SIGTERM');
      await exited;
    },
  };
}
