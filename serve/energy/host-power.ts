// The host power model behind the server's ESTIMATE (no RAPL, no GPU): idle and full-load wall
// power of this host. Configured values win (--host-idle-w, --host-busy-w); the defaults are
// labelled. No CPU-server wall power is sourced in collector/lifecycle/data/factors.json (its
// cpu-server profile says so), so the full-load default is an UNSOURCED assumption per logical CPU;
// the idle default is the sourced idle share of full load, pwr_server_idle_share. serve/ may not
// import collector/, so the factor's value is copied here with its id.

import { EdgewattError } from '../../common/errors.js';
import type { EstimatedBoard, FigureRange } from '../../runtime/estimate.js';

export class HostPowerError extends EdgewattError {
  override readonly name = 'HostPowerError';
}

/**
 * pwr_server_idle_share (factors.json): "Server idle power as a share of its full-load power",
 * 0.5, Barroso & Hölzle 2007, IEEE Computer 40(12). A point value: the factors' default spread
 * (÷1.5, ×1.5) applies, as factors.json does for it.
 */
export const SERVER_IDLE_SHARE = { central: 0.5, low: 0.5 / 1.5, high: Math.min(1, 0.5 * 1.5) } as const;
export const SERVER_IDLE_SHARE_FACTOR = 'pwr_server_idle_share';

/** UNSOURCED assumption: full-load wall power per logical CPU of a server, W (central, range). */
export const ASSUMED_BUSY_W_PER_CPU = { central: 10, low: 5, high: 20 } as const;

export interface HostPower {
  /** The power model's board: this host, speed factor exactly 1 (the host runs its own inferences). */
  board: EstimatedBoard;
  /** One line naming where each number comes from. */
  source: string;
}

const exact = (value: number): FigureRange => ({ central: value, low: value, high: value });

export function hostPower(cpus: number, options: { busyW?: number; idleW?: number } = {}): HostPower {
  const busy: FigureRange =
    options.busyW === undefined
      ? {
          central: ASSUMED_BUSY_W_PER_CPU.central * cpus,
          low: ASSUMED_BUSY_W_PER_CPU.low * cpus,
          high: ASSUMED_BUSY_W_PER_CPU.high * cpus,
        }
      : exact(options.busyW);
  const idle: FigureRange =
    options.idleW === undefined
      ? {
          central: busy.central * SERVER_IDLE_SHARE.central,
          low: busy.low * SERVER_IDLE_SHARE.low,
          high: Math.min(busy.high * SERVER_IDLE_SHARE.high, busy.high),
        }
      : exact(options.idleW);
  if (idle.central > busy.central)
    throw new HostPowerError(
      `host idle power ${idle.central} W is above its full-load power ${busy.central} W`,
      {
        hint: 'give --host-busy-w with --host-idle-w (the default full load is CPUs × 10 W)',
      },
    );
  const busyText =
    options.busyW === undefined
      ? `full load ${busy.central} W = ${cpus} CPUs × ${ASSUMED_BUSY_W_PER_CPU.central} W (UNSOURCED assumption, ${busy.low}–${busy.high} W)`
      : `full load ${busy.central} W (configured)`;
  const idleText =
    options.idleW === undefined
      ? `idle ${idle.central} W = ${SERVER_IDLE_SHARE.central} × full load (${SERVER_IDLE_SHARE_FACTOR}, Barroso & Hölzle 2007)`
      : `idle ${idle.central} W (configured)`;
  return {
    board: { cpuCores: cpus, idleW: idle, loadW: busy, hostSpeedFactor: exact(1) },
    source: `${busyText}; ${idleText}`,
  };
}
