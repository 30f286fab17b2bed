// Small helpers for reading sysfs attribute files under an injectable root (tests point it at a
// fake tree in a temp dir); shared by the agent's sensors and `edgewatt serve`'s energy meters. Attributes are re-read through an open descriptor with pread, which
// is what sysfs expects and costs no open/close per sample.

import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';

export function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function readNumber(path: string): number | undefined {
  const text = readTrimmed(path);
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

export function listDir(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

export function under(root: string, absolute: string): string {
  return join(root, absolute);
}

/** An attribute kept open and re-read from offset 0 on each call. */
export class SysfsAttribute {
  private readonly fd: number;
  private readonly buffer = Buffer.alloc(64);

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
  }

  readNumber(): number {
    const bytes = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
    const value = Number(this.buffer.toString('latin1', 0, bytes).trim());
    if (!Number.isFinite(value)) throw new Error(`${this.path} does not hold a number`);
    return value;
  }

  close(): void {
    closeSync(this.fd);
  }
}
