// x86 RAPL energy counters through powercap (/sys/class/powercap/intel-rapl:<N>/energy_uj). The
// counter wraps at max_energy_range_uj; with one package the raw counter goes to agent/measure,
// which differences it with wrap-around; with several, each is unwrapped here and summed. RAPL
// covers the CPU package (cores, uncore, often DRAM separately), not the whole machine.

import { z } from 'zod';
import {
  findRaplZones,
  packageZones,
  RAPL_GAIN_ERROR,
  RAPL_PERMISSION_FIX,
  type RaplZone,
} from '../../common/rapl.js';
import type { RailReading, SampleSource } from './sensor.js';
import { SensorConfigError } from './sensor.js';
import { sampledSensorFactory } from './sources.js';
import { SysfsAttribute } from './sysfs.js';

/** Energy-unit step of RAPL on Intel (1/2^14 J ≈ 61 µJ); sysfs shows µJ but steps by this. */
const RAPL_QUANTUM_J = 2 ** -14;

export {
  canReadFile,
  findRaplZones,
  packageZones,
  RAPL_PERMISSION_FIX,
  type RaplZone,
} from '../../common/rapl.js';

export class RaplSource implements SampleSource {
  readonly quantity = 'energy' as const;
  readonly counterRangeJ: number;
  readonly accuracy = { gainErrorRel: RAPL_GAIN_ERROR, quantum: RAPL_QUANTUM_J };
  readonly delayNs = 0;
  readonly defaultPeriodMs = 1;
  private readonly counters: SysfsAttribute[];
  private readonly last: number[];
  private readonly offsetUj: number[];

  constructor(private readonly zones: readonly RaplZone[]) {
    if (zones.length === 0)
      throw new SensorConfigError(
        'rapl: no /sys/class/powercap/intel-rapl:<N> zone; is this an x86 machine?',
      );
    const blocked = zones.filter((zone) => !zone.readable);
    if (blocked.length > 0)
      throw new SensorConfigError(
        `rapl: ${blocked.map((z) => z.energyPath).join(', ')} cannot be read (permission denied since Linux 5.10); ${RAPL_PERMISSION_FIX}`,
      );
    this.counters = zones.map((zone) => new SysfsAttribute(zone.energyPath));
    this.last = zones.map(() => Number.NaN);
    this.offsetUj = zones.map(() => 0);
    // One zone: hand the raw counter and its range to agent/measure. Several: unwrap here.
    this.counterRangeJ = zones.length === 1 ? (zones[0]?.rangeUj ?? 0) / 1e6 : Number.POSITIVE_INFINITY;
  }

  read(): number {
    if (this.counters.length === 1) return (this.counters[0]?.readNumber() ?? 0) / 1e6;
    let totalUj = 0;
    this.counters.forEach((counter, i) => {
      const raw = counter.readNumber();
      if (raw < (this.last[i] ?? Number.NaN))
        this.offsetUj[i] = (this.offsetUj[i] ?? 0) + (this.zones[i]?.rangeUj ?? 0);
      this.last[i] = raw;
      totalUj += raw + (this.offsetUj[i] ?? 0);
    });
    return totalUj / 1e6;
  }

  rails(): RailReading[] {
    return this.zones.map((zone) => ({ name: zone.name, powerW: Number.NaN }));
  }

  close(): void {
    for (const counter of this.counters) counter.close();
  }
}

export const raplSensorFactory = sampledSensorFactory({
  kind: 'rapl',
  coverage: 'cpu-package',
  description:
    'x86 RAPL package energy via powercap energy_uj, with wrap-around (option root for a fake tree)',
  preference: 50,
  provenance: 'measured',
  options: z.object({ root: z.string().default('/') }),
  async open(options) {
    return new RaplSource(packageZones(findRaplZones(options.root)));
  },
  async probe(env) {
    const zones = packageZones(findRaplZones(env.root, env.canRead));
    if (zones.length === 0) return [];
    const blocked = zones.filter((zone) => !zone.readable);
    return [
      {
        spec: env.root === '/' ? 'rapl' : `rapl:root=${env.root}`,
        usable: blocked.length === 0,
        detail:
          blocked.length === 0
            ? `zones ${zones.map((z) => z.name).join(', ')}; covers the CPU package, not the whole machine`
            : `permission denied reading ${blocked.map((z) => z.energyPath).join(', ')}; fix: ${RAPL_PERMISSION_FIX}`,
      },
    ];
  },
});
