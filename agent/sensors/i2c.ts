// The I2C layer the INA drivers need: 16-bit register reads and writes on a bus, nothing more.
// The real bus is `i2c-bus` (SMBus word transfers, which are little-endian, while the INA chips
// send the most significant byte first, hence the byte swap); tests pass a fake bus module.

import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EdgewattError } from '../../common/errors.js';

/** The subset of i2c-bus's synchronous API used here. */
export interface I2cBus {
  readWordSync(address: number, command: number): number;
  writeWordSync(address: number, command: number, word: number): void;
  closeSync(): void;
}

export class I2cOpenError extends EdgewattError {
  override readonly name = 'I2cOpenError';
}

export function swap16(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}

/** Reads and writes big-endian 16-bit registers of one chip. */
export class RegisterIo {
  constructor(
    private readonly bus: I2cBus,
    readonly address: number,
  ) {}

  read(register: number): number {
    return swap16(this.bus.readWordSync(this.address, register));
  }

  readSigned(register: number): number {
    const value = this.read(register);
    return value >= 0x8000 ? value - 0x10000 : value;
  }

  write(register: number, value: number): void {
    this.bus.writeWordSync(this.address, register, swap16(value & 0xffff));
  }

  close(): void {
    this.bus.closeSync();
  }
}

/**
 * Opens /dev/i2c-<busNumber> with i2c-bus, or, when `busModule` is given (a path or file URL of a
 * module exporting `openBus(busNumber)`), with that module: the way tests and benches run the
 * real driver code against a fake chip, even inside the sampling worker.
 */
export async function openI2cBus(busNumber: number, busModule?: string): Promise<I2cBus> {
  if (busModule !== undefined) {
    const url = isAbsolute(busModule) ? pathToFileURL(busModule).href : busModule;
    const module = (await import(url)) as { openBus?: (n: number) => I2cBus };
    if (typeof module.openBus !== 'function')
      throw new I2cOpenError(`busModule ${busModule} does not export openBus(busNumber)`);
    return module.openBus(busNumber);
  }
  // i2c-bus opens /dev/i2c-<n> only at the first transfer, where a missing bus surfaces as a bare
  // ENOENT from a register write; opening it here first turns that into a message with the fix.
  const path = `/dev/i2c-${busNumber}`;
  try {
    closeSync(openSync(path, 'r+'));
  } catch (error) {
    throw busError(path, error as NodeJS.ErrnoException);
  }
  const require = createRequire(import.meta.url);
  try {
    const i2c = require('i2c-bus') as { openSync(n: number): I2cBus };
    return i2c.openSync(busNumber);
  } catch (error) {
    throw busError(path, error as NodeJS.ErrnoException);
  }
}

/** One line: the bus path, what failed, the fix, and where to look next. */
function busError(path: string, error: NodeJS.ErrnoException): I2cOpenError {
  const hint =
    error.code === 'ENOENT'
      ? 'no such I2C bus here: enable I2C (raspi-config → Interface Options → I2C, or dtparam=i2c_arm=on) and check the bus number (i2cdetect -l lists buses)'
      : error.code === 'EACCES'
        ? 'add the agent user to the i2c group (sudo usermod -aG i2c $USER) and log in again'
        : error.code === 'MODULE_NOT_FOUND' || error.code === 'ERR_DLOPEN_FAILED'
          ? 'the i2c-bus native module did not load on this machine (npm rebuild i2c-bus)'
          : 'check the wiring and the bus number (i2cdetect -l lists buses)';
  const reason = error.code ?? error.message;
  return new I2cOpenError(
    `cannot open I2C bus ${path} (${reason}): ${hint}; \`edgewatt doctor\` lists the power sensors this machine has`,
  );
}
