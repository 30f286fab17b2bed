// Runs `edgewatt provision-device` / `provision-collector` in-process (the commander commands
// themselves) and returns what they printed.

import type { Command } from 'commander';
import { provisionCollectorCommand } from '../../cli/commands/provision-collector.js';
import { provisionDeviceCommand } from '../../cli/commands/provision-device.js';

/** Provisions `device` into `out` (or `--csv <file>` given as device and first arg); extra flags as given. */
export async function provision(out: string, device: string, ...args: string[]): Promise<string> {
  return run(provisionDeviceCommand(), out, device, args);
}

/** Provisions collector `id` into `out`; extra flags as given. */
export async function provisionCollector(out: string, id: string, ...args: string[]): Promise<string> {
  return run(provisionCollectorCommand(), out, id, args);
}

async function run(command: Command, out: string, first: string, args: string[]): Promise<string> {
  const writes: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    writes.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await command.exitOverride().parseAsync(['node', 'edgewatt', first, ...args, '--out', out]);
  } finally {
    process.stdout.write = write;
  }
  return writes.join('');
}
