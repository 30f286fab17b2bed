// startMosquitto (test/support/mosquitto.ts): a broker that does not come up where the set-up
// waits for it fails the set-up and is ended with it, since no handle is returned to stop it.

import { createConnection } from 'node:net';
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { startMosquitto } from './mosquitto.js';
import { freePort } from './ports.js';
import { describeWith } from './tools.js';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describeWith(['mosquitto'], 'startMosquitto', () => {
  it('ends a broker that did not listen where it was waited for', async () => {
    // The broker listens, but on another port than the one the set-up waits on.
    const elsewhere = await freePort();
    const config = (_port: number, dir: string) =>
      [
        `listener ${elsewhere} 127.0.0.1`,
        `user ${userInfo().username}`,
        'allow_anonymous true',
        `persistence_location ${dir}/`,
      ].join('\n');
    const started = startMosquitto({ config, startTimeoutMs: 3_000 });
    started.catch(() => undefined);
    // The control: the broker did come up (on the other port) while the set-up waited.
    let listened = false;
    const deadline = Date.now() + 3_000;
    while (!listened && Date.now() < deadline) {
      listened = await accepts(elsewhere);
      if (!listened) await sleep(25);
    }
    expect(listened).toBe(true);
    await expect(started).rejects.toThrow(/did not listen/);
    expect(await accepts(elsewhere)).toBe(false);
  });
});
