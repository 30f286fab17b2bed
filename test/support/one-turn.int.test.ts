// prepareBurst (test/support/one-turn.ts) freezes the server process with SIGSTOP: it must never
// signal a process id that no longer names the server. A server killed by a signal has no exit
// code, only a signal code; its pid is free for the system to give to any other process.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect, it } from 'vitest';
import { prepareBurst } from './one-turn.js';

it('refuses to send a burst to a server that was killed by a signal (its pid may name another process now)', async () => {
  const server = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000);'], { stdio: 'ignore' });
  try {
    await once(server, 'spawn');
    const burst = await prepareBurst(server, []);
    const exited = once(server, 'exit');
    server.kill('SIGKILL');
    await exited;
    expect(server.exitCode).toBeNull();
    await expect(burst.send()).rejects.toThrow('the server process is not running');
  } finally {
    server.kill('SIGKILL');
  }
});
