// What the INA219 and INA226 drivers share: their options (bus, address, shunt, current range),
// the overflow error, and the doctor probe (I2C buses exist; the chip needs its shunt configured).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EdgewattError } from '../../common/errors.js';
import type { ProbeEnv, ProbeResult } from './sensor.js';
import { numberOption } from './spec.js';

export const inaOptions = {
  /** I2C bus number: /dev/i2c-<bus>. */
  bus: numberOption.pipe(z.number().int().min(0)).default(1),
  address: numberOption.pipe(z.number().int().min(0x40).max(0x4f)).default(0x40),
  /** Shunt resistance, ohms (0.1 on the common breakout boards). */
  shuntOhms: numberOption.pipe(z.number().positive()).default(0.1),
  /** Shunt resistor tolerance (0.01 = 1 %), part of the gain error. */
  shuntTolerance: numberOption.pipe(z.number().min(0).max(0.2)).default(0.01),
  /** Module exporting openBus(busNumber), instead of i2c-bus (tests, benches, other buses). */
  busModule: z.string().optional(),
};

export class InaOverflowError extends EdgewattError {
  override readonly name = 'InaOverflowError';
  constructor(chip: string, address: number) {
    super(
      `${chip} at 0x${address.toString(16)}: math overflow flag set (current or power beyond range); raise maxCurrentA or use a smaller shunt`,
    );
  }
}

/** Lists the I2C buses; an INA chip cannot be recognised safely without its shunt value. */
export function inaProbe(kind: 'ina219' | 'ina226') {
  return async (env: ProbeEnv): Promise<ProbeResult[]> => {
    let buses: string[] = [];
    try {
      buses = readdirSync(join(env.root, 'dev')).filter((name) => /^i2c-\d+$/.test(name));
    } catch {
      buses = [];
    }
    if (buses.length === 0) return [];
    return [
      {
        spec: `${kind}:bus=${buses[0]?.slice(4)},address=0x40,shuntOhms=0.1,maxCurrentA=3.2`,
        usable: false,
        detail: `I2C bus(es) ${buses.map((b) => `/dev/${b}`).join(', ')} present; an ${kind.toUpperCase()} is used only when configured with its shunt: --sensor ${kind}:<board>:bus=<n>,address=<0x4N>,shuntOhms=<Ω>,maxCurrentA=<A>`,
      },
    ];
  };
}
