// Which meter `model train` / `model prune` measure their energy with: the host's RAPL package
// counters when readable (the agent's own zone discovery, agent/sensors/rapl.ts), otherwise the
// labelled CPU-time estimate of models/train/step-energy.ts. Said on stderr, and in the manifest.

import { findRaplZones, packageZones, RAPL_PERMISSION_FIX } from '../../agent/sensors/rapl.js';
import { readNumber } from '../../agent/sensors/sysfs.js';
import { counterMeter, cpuTimeMeter, type StepEnergyMeter } from '../../models/train/step-energy.js';

/** RAPL's validation spread, as the agent's RAPL sensor takes it. */
const RAPL_GAIN_ERROR = 0.05;

export function chooseStepMeter(root = '/', warn: (line: string) => void = () => undefined): StepEnergyMeter {
  const zones = packageZones(findRaplZones(root));
  if (zones.length > 0 && zones.every((zone) => zone.readable)) {
    return counterMeter({
      readUj: () => zones.map((zone) => readNumber(zone.energyPath) ?? 0),
      rangesUj: zones.map((zone) => zone.rangeUj),
      gainErrorRel: RAPL_GAIN_ERROR,
      covers: `RAPL ${zones.map((zone) => zone.name).join(' + ')} (the CPU package: not DRAM, disks or the power supply)`,
    });
  }
  warn(
    zones.length > 0
      ? `energy: RAPL is not readable (${RAPL_PERMISSION_FIX}); the step's energy is ESTIMATED from CPU time`
      : "energy: no power sensor on this host (no RAPL); the step's energy is ESTIMATED from CPU time",
  );
  return cpuTimeMeter();
}
