// readUntilHangUp (firmware-bridge/serial/hang-up.ts) on a fake descriptor: data is returned, EAGAIN
// waits for the poller's readable and reads again, and 0 bytes (end of file: the line hung up) is a
// disconnect error instead of another read (serialport's reader read again, for ever).

import { expect, it } from 'vitest';
import { readUntilHangUp, SerialHangUpError } from '../../firmware-bridge/serial/hang-up.js';

function fakePort(results: (number | string)[]) {
  const reads: number[] = [];
  let waits = 0;
  const port = {
    fd: 7,
    isOpen: true,
    poller: {
      once(_event: 'readable', callback: (error?: Error | null) => void) {
        waits++;
        setImmediate(() => callback(null));
      },
    },
  };
  const readBytes = async (fd: number) => {
    reads.push(fd);
    const next = results.shift() ?? 0;
    if (typeof next === 'string') throw Object.assign(new Error(next), { code: next });
    return { bytesRead: next };
  };
  return { port, readBytes, reads, waits: () => waits };
}

it('returns the bytes a read found', async () => {
  const { port, readBytes } = fakePort([5]);
  const buffer = Buffer.alloc(16);
  expect(await readUntilHangUp(port, buffer, 0, 16, readBytes)).toEqual({ bytesRead: 5, buffer });
});

it('waits for readable after EAGAIN, then reads again', async () => {
  const { port, readBytes, reads, waits } = fakePort(['EAGAIN', 'EAGAIN', 3]);
  expect((await readUntilHangUp(port, Buffer.alloc(8), 0, 8, readBytes)).bytesRead).toBe(3);
  expect([reads.length, waits()]).toEqual([3, 2]);
});

it('takes 0 bytes as the line hung up: a disconnect, not another read', async () => {
  const { port, readBytes, reads } = fakePort([0, 4]);
  const error = await readUntilHangUp(port, Buffer.alloc(8), 0, 8, readBytes).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SerialHangUpError);
  expect((error as SerialHangUpError).disconnect).toBe(true);
  expect(reads).toHaveLength(1);
});

it('passes other read errors on, and refuses a closed port as canceled', async () => {
  const { port, readBytes } = fakePort(['EIO']);
  await expect(readUntilHangUp(port, Buffer.alloc(8), 0, 8, readBytes)).rejects.toMatchObject({
    code: 'EIO',
  });
  const closed = { ...port, isOpen: false };
  await expect(readUntilHangUp(closed, Buffer.alloc(8), 0, 8, readBytes)).rejects.toMatchObject({
    canceled: true,
  });
});
