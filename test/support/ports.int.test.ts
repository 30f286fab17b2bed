// waitForPort given the server's process (test/support/ports.ts): a port taken by another process
// between freePort() and the server's bind must not pass for the server listening (the test would
// talk to a stranger), and a server that exits because of it fails the wait at once, not after the
// deadline; startMosquitto() then tries another port.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { ExitedBeforeListeningError, freePort, ownsListener, waitForPort } from './ports.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function stranger(): Promise<number> {
  const server = createServer();
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/** A node process that binds `port` (exits with EADDRINUSE when it is taken), then stays. */
function serverProcess(port: number) {
  return spawn(
    process.execPath,
    ['-e', `require('node:net').createServer().listen(${port}, '127.0.0.1'); setInterval(() => {}, 1000);`],
    { stdio: 'ignore' },
  );
}

it("fails at once when the server exits because its port was taken, and never takes the stranger's listener for it", async () => {
  const port = await stranger();
  const child = serverProcess(port);
  try {
    const startedMs = performance.now();
    await expect(waitForPort(port, 'the server', 20_000, child)).rejects.toThrow(ExitedBeforeListeningError);
    expect(performance.now() - startedMs).toBeLessThan(15_000); // not the 20 s deadline
    // Without the process, the stranger passes for a listener: what the owner check guards against.
    await waitForPort(port, 'anything');
  } finally {
    child.kill('SIGKILL'); // a process that did bind (the failure this test looks for) is not left running
  }
});

it('resolves once the server process itself listens', async () => {
  const port = await freePort();
  const child = serverProcess(port);
  try {
    await waitForPort(port, 'the server', 20_000, child);
  } finally {
    child.kill('SIGKILL');
  }
});

it('counts a process that is gone (exited and reaped) as owning no listener, whoever listens on the port', async () => {
  const port = await stranger();
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  // Its pid names no process now: it must not pass for the stranger's owner (a wait that read the
  // exit a moment late took the stranger's listener for the server's).
  expect(ownsListener(child.pid as number, port)).toBe(false);
  expect(ownsListener(process.pid, port)).toBe(true); // the control: this process holds the stranger
});
