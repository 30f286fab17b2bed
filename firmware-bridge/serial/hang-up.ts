// The real serial binding, made to notice a hung-up terminal. serialport opens a port non-blocking
// with VMIN 1, so a read finds either data or EAGAIN while the line is up; once the line hangs up
// (a USB-serial adapter or pseudo-terminal whose other end closed) a read returns 0 bytes, end of
// file, for ever. serialport's reader takes 0 bytes as "read again" and spins on it: the port
// never closes, the bridge never reopens, and a core is busy (5 hang-ups in 12 on this machine,
// depending on whether the read ran before or after the kernel's hang-up). Here a read of 0 bytes
// is a disconnect, as a read error is, so the port closes and ReopeningPort takes over.

import { read } from 'node:fs';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';

const readAsync = promisify(read);

type Binding = typeof SerialPort.binding;
type BindingPort = Awaited<ReturnType<Binding['open']>>;

/** What a Unix port of serialport's binding has: a descriptor and a poller for readable. */
interface UnixPort {
  fd: number | null;
  readonly isOpen: boolean;
  poller: { once(event: 'readable', callback: (error?: Error | null) => void): unknown };
}

function isUnixPort(port: unknown): port is UnixPort {
  const p = port as Partial<UnixPort>;
  return typeof p.fd === 'number' && typeof p.poller?.once === 'function';
}

/** The serial line hung up: a read found end of file. */
export class SerialHangUpError extends Error {
  override readonly name = 'SerialHangUpError';
  /** serialport's stream closes the port (a disconnect) on an error that is not `canceled`. */
  readonly disconnect = true;
}

const notOpen = () => Object.assign(new Error('Port is not open'), { canceled: true });

/**
 * Reads like serialport's unixRead (EAGAIN: wait for the poller's readable, then read again),
 * except that 0 bytes throws SerialHangUpError.
 */
export async function readUntilHangUp(
  port: UnixPort,
  buffer: Buffer,
  offset: number,
  length: number,
  readBytes: (
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
  ) => Promise<{ bytesRead: number }> = (fd, b, o, l) => readAsync(fd, b, o, l, null),
): Promise<{ bytesRead: number; buffer: Buffer }> {
  for (;;) {
    const fd = port.fd;
    if (!port.isOpen || fd === null) throw notOpen();
    try {
      const { bytesRead } = await readBytes(fd, buffer, offset, length);
      if (bytesRead > 0) return { bytesRead, buffer };
      throw new SerialHangUpError('the serial line hung up (a read found end of file)');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') throw error;
      if (!port.isOpen) throw notOpen();
      await new Promise<void>((resolve, reject) =>
        port.poller.once('readable', (pollError) => (pollError ? reject(pollError) : resolve())),
      );
    }
  }
}

/** `binding` whose Unix ports read with readUntilHangUp (other ports are left as they are). */
export function hangUpAware(binding: Binding): Binding {
  return {
    list: () => binding.list(),
    async open(options: Parameters<Binding['open']>[0]): Promise<BindingPort> {
      const port = await binding.open(options as never);
      if (isUnixPort(port))
        (port as { read: BindingPort['read'] }).read = (buffer, offset, length) =>
          readUntilHangUp(port, buffer, offset, length);
      return port;
    },
  } as Binding;
}

/** A SerialPort on the detected binding with hang-ups noticed. */
export function hangUpAwarePort(settings: { path: string; baudRate: number; autoOpen: false }): SerialPort {
  // SerialPort's options type leaves `binding` out, but its constructor takes one given (it spreads
  // the options over its default): test/firmware-bridge/hang-up.int.test.ts fails if it stops.
  return new SerialPort({ ...settings, binding: HANG_UP_AWARE } as ConstructorParameters<
    typeof SerialPort
  >[0]);
}

const HANG_UP_AWARE = hangUpAware(SerialPort.binding);
