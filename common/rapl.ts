// x86 RAPL zone discovery through powercap (/sys/class/powercap/intel-rapl:<N>/energy_uj): which
// package counters exist, their wrap-around range and whether this process may read them. Shared
// by the agent's RAPL sensor (agent/sensors/rapl.ts), `model train`'s step meter and `edgewatt
// serve`'s energy meter, so all three find the same zones and give the same permission fix.

import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { listDir, readNumber, readTrimmed } from './sysfs.js';

/** RAPL is a hardware estimate/measurement hybrid; a few percent is the usual validation spread. */
export const RAPL_GAIN_ERROR = 0.05;

export const RAPL_PERMISSION_FIX =
  'sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj (lasts until reboot; for good, a udev rule: ACTION=="add", SUBSYSTEM=="powercap", RUN+="/bin/chmod o+r /sys%p/energy_uj")';

export interface RaplZone {
  name: string;
  dir: string;
  energyPath: string;
  rangeUj: number;
  readable: boolean;
}

export function canReadFile(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return readNumber(path) !== undefined;
  } catch {
    return false;
  }
}

/** Top-level zones (intel-rapl:N, packages and psys), and whether their counter can be read. */
export function findRaplZones(root: string, canRead: (path: string) => boolean = canReadFile): RaplZone[] {
  const base = join(root, 'sys/class/powercap');
  return listDir(base)
    .filter((entry) => /^intel-rapl:\d+$/.test(entry))
    .map((entry) => {
      const dir = join(base, entry);
      const energyPath = join(dir, 'energy_uj');
      return {
        name: readTrimmed(join(dir, 'name')) ?? entry,
        dir,
        energyPath,
        rangeUj: readNumber(join(dir, 'max_energy_range_uj')) ?? 2 ** 32,
        readable: canRead(energyPath),
      };
    });
}

/** Packages only: psys overlaps them (it is the platform total where firmware provides it). */
export function packageZones(zones: readonly RaplZone[]): RaplZone[] {
  const packages = zones.filter((zone) => zone.name.startsWith('package'));
  return packages.length > 0 ? packages : [...zones];
}
