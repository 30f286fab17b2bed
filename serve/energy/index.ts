// Chooses the server's energy meter: RAPL where its counters are readable, else NVML where
// `nvidia-smi` reports a GPU's power, else the labelled host-power ESTIMATE (`--energy auto`); or
// the one asked for, refusing to start when it cannot be read. Says which, and why the others were
// passed over, in the log.

import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { EdgewattError } from '../../common/errors.js';
import { logger } from '../../common/logger.js';
import { RAPL_PERMISSION_FIX } from '../../common/rapl.js';
import { EstimatedMeter } from './estimated.js';
import { hostPower } from './host-power.js';
import type { EnergyMeter } from './meter.js';
import { nvmlAvailable, openNvmlMeter } from './nvml.js';
import { openRaplMeter, readableRaplZones } from './rapl.js';

export type { EnergyMeter, WindowEnergy } from './meter.js';

export const ENERGY_METERS = ['auto', 'rapl', 'nvml', 'estimated'] as const;
export type EnergyChoice = (typeof ENERGY_METERS)[number];

const log = logger('serve.energy');

export class EnergyMeterError extends EdgewattError {
  override readonly name = 'EnergyMeterError';
}

export interface MeterOptions {
  energy: EnergyChoice;
  hostBusyW?: number | undefined;
  hostIdleW?: number | undefined;
  /** Root of the sysfs tree (tests point it at a fake one). */
  root?: string;
  /** Runs the nvidia-smi probe; null when it cannot run. */
  nvidiaSmi?: () => string | null;
}

function probeNvidiaSmi(): string | null {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=index,power.draw', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return null;
  }
}

export async function openEnergyMeter(options: MeterOptions): Promise<EnergyMeter> {
  const passed: string[] = [];
  if (options.energy === 'auto' || options.energy === 'rapl') {
    const rapl = readableRaplZones(options.root);
    if (rapl !== null && 'zones' in rapl) {
      const meter = await openRaplMeter(rapl.zones);
      log.info({ method: meter.method, idleW: meter.idleW() }, 'server energy: RAPL');
      return meter;
    }
    const why = rapl === null ? 'no RAPL powercap zones' : `RAPL: ${rapl.problem} (${RAPL_PERMISSION_FIX})`;
    if (options.energy === 'rapl') throw new EnergyMeterError(`--energy rapl: ${why}`);
    passed.push(why);
  }
  if (options.energy === 'auto' || options.energy === 'nvml') {
    if (nvmlAvailable(options.nvidiaSmi ?? probeNvidiaSmi)) {
      const meter = await openNvmlMeter();
      log.info({ method: meter.method }, 'server energy: NVML');
      return meter;
    }
    const why = 'no GPU power from nvidia-smi';
    if (options.energy === 'nvml') throw new EnergyMeterError(`--energy nvml: ${why}`);
    passed.push(why);
  }
  const meter = new EstimatedMeter(
    hostPower(cpus().length, { busyW: options.hostBusyW, idleW: options.hostIdleW }),
  );
  log.warn(
    { method: meter.method, passed },
    'server energy is an ESTIMATE (host power model): every answer says provenance "estimated"',
  );
  return meter;
}
