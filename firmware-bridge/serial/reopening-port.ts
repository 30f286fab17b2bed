// The serial I/O layer, and the only part that needs hardware: opens a port with the `serialport`
// package, hands every chunk to the decoder, and when the device is unplugged (close, error) or not
// there yet, retries with the agent's jittered back-off until stopped. Writes are refused while the
// port is closed (the caller's protocol layer times out and says so).

import type { SerialPort, SerialPortMock } from 'serialport';

/** The real port or serialport's own mock (both are SerialPortStreams over a binding). */
type AnyPort = SerialPort | SerialPortMock;

import { type Backoff, backoffDelayMs, DEFAULT_BACKOFF } from '../../agent/publish/backoff.js';
import { logger } from '../../common/logger.js';
import { hangUpAwarePort } from './hang-up.js';

const log = logger('bridge.serial');

export interface PortOptions {
  path: string;
  baudRate: number;
  onData: (chunk: Buffer) => void;
  /** Called after every (re)open; a driver re-sends its setup here. */
  onOpen?: () => void;
  reconnect?: Partial<Backoff>;
  /** Makes the port object; unit tests pass serialport's SerialPortMock (@serialport/binding-mock). */
  createPort?: (options: { path: string; baudRate: number; autoOpen: false }) => AnyPort;
}

export class PortClosedError extends Error {
  override readonly name = 'PortClosedError';
}

export class ReopeningPort {
  private port: AnyPort | null = null;
  private stopped = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  opens = 0;
  readonly backoff: Backoff;

  constructor(private readonly options: PortOptions) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.reconnect };
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }

  start(): void {
    this.open();
  }

  private open(): void {
    if (this.stopped) return;
    const settings = { path: this.options.path, baudRate: this.options.baudRate, autoOpen: false } as const;
    const port = this.options.createPort?.(settings) ?? hangUpAwarePort(settings);
    port.on('data', (chunk: Buffer) => this.options.onData(chunk));
    port.on('close', () => this.retry(port, 'closed'));
    port.on('error', (error: Error) => this.retry(port, error.message));
    port.open((error) => {
      if (error) {
        this.retry(port, error.message);
        return;
      }
      this.port = port;
      this.failures = 0;
      this.opens++;
      log.info(
        { path: this.options.path, baudRate: this.options.baudRate, opens: this.opens },
        'serial port open',
      );
      this.options.onOpen?.();
    });
  }

  private retry(port: AnyPort, why: string): void {
    if (this.port === port) this.port = null;
    port.removeAllListeners();
    port.on('error', () => undefined);
    if (port.isOpen) port.close(() => undefined);
    if (this.stopped || this.timer !== undefined) return;
    const delayMs = backoffDelayMs(this.failures++, this.backoff);
    log.warn(
      { path: this.options.path, why, retryInMs: Math.round(delayMs) },
      'serial port unavailable; retrying',
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.open();
    }, delayMs);
  }

  async write(bytes: Uint8Array | string): Promise<void> {
    const port = this.port;
    if (port === null || !port.isOpen)
      throw new PortClosedError(`serial port ${this.options.path} is not open`);
    await new Promise<void>((resolve, reject) => {
      port.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
    await new Promise<void>((resolve, reject) => port.drain((error) => (error ? reject(error) : resolve())));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
