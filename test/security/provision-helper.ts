// Runs `edgewatt provision-device` in-process (the commander command itself) and returns what it printed.

import { provisionDeviceCommand } from '../../cli/commands/provision-device.js';

/** Provisions `device` into `out`; extra flags as given. */
export async function provision(out: string, device: string, ...args: string[]): Promise<string> {
  const writes: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    writes.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await provisionDeviceCommand()
      .exitOverride()
      .parseAsync(['node', 'edgewatt', device, '--out', out, ...args]);
  } finally {
    process.stdout.write = write;
  }
  return writes.join('');
}
