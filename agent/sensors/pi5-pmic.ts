// Raspberry Pi 5 PMIC (Renesas DA9091) rail monitors through `vcgencmd pmic_read_adc`: each rail
// has a current line (NAME_A current(n)=…A) and a voltage line (NAME_V volt(n)=…V); power is the
// sum of V × I over rails that have both. It leaves out PMIC conversion losses and what the 5 V
// input feeds directly (USB, fan), so it is below the board's input power. The command is
// injectable so tests run on recorded output.

import { execFileSync } from 'node:child_process';
import { z } from 'zod';
import { EdgewattError } from '../../common/errors.js';
import type { ProbeEnv, RailReading, SampleSource } from './sensor.js';
import { SensorConfigError } from './sensor.js';
import { sampledSensorFactory } from './sources.js';

/** No published accuracy for these ADCs; a wide bound, stated as such in docs/sensors.md. */
const PMIC_GAIN_ERROR = 0.05;

export type CommandRunner = (command: string, args: readonly string[]) => string;

export const runCommand: CommandRunner = (command, args) =>
  execFileSync(command, args, { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'pipe'] });

export class PmicParseError extends EdgewattError {
  override readonly name = 'PmicParseError';
}

/** Rails with both a current and a voltage reading, power = V × I. */
export function parsePmicAdc(output: string): RailReading[] {
  const currents = new Map<string, number>();
  const volts = new Map<string, number>();
  for (const line of output.split(/\r?\n/)) {
    const match = /^\s*(\S+)_([AV])\s+(?:current|volt)\(\d+\)=\s*([-\d.eE+]+)\s*[AV]\s*$/.exec(line);
    if (!match) continue;
    const [, name = '', unit, value] = match;
    (unit === 'A' ? currents : volts).set(name, Number(value));
  }
  const rails: RailReading[] = [];
  for (const [name, currentA] of currents) {
    const voltageV = volts.get(name);
    if (voltageV === undefined) continue;
    rails.push({ name, voltageV, currentA, powerW: voltageV * currentA });
  }
  if (rails.length === 0)
    throw new PmicParseError(
      `vcgencmd pmic_read_adc printed no rail with both a current and a voltage: ${JSON.stringify(output.slice(0, 200))}`,
    );
  return rails;
}

export class Pi5PmicSource implements SampleSource {
  readonly quantity = 'power' as const;
  readonly counterRangeJ = Number.POSITIVE_INFINITY;
  readonly accuracy = { gainErrorRel: PMIC_GAIN_ERROR, quantum: 1e-4 };
  readonly delayNs = 0;
  /** Each read starts a process (≈ 10 ms on a Pi 5): 10 Hz is what it sustains without cost. */
  readonly defaultPeriodMs = 100;

  constructor(
    private readonly command: string,
    private readonly run: CommandRunner = runCommand,
  ) {}

  rails(): RailReading[] {
    return parsePmicAdc(this.run(this.command, ['pmic_read_adc']));
  }

  read(): number {
    return this.rails().reduce((sum, rail) => sum + rail.powerW, 0);
  }

  close(): void {}
}

async function probe(env: ProbeEnv) {
  let rails: RailReading[];
  try {
    rails = parsePmicAdc(env.run('vcgencmd', ['pmic_read_adc']));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    return [
      {
        spec: 'pi5-pmic',
        usable: false,
        detail: `vcgencmd pmic_read_adc failed: ${(error as Error).message.split('\n')[0]}; it works on a Raspberry Pi 5 with current firmware (sudo apt full-upgrade), as a user in the video group`,
      },
    ];
  }
  return [
    {
      spec: 'pi5-pmic',
      usable: true,
      detail: `${rails.length} PMIC rails (sum of V × I; excludes PMIC losses and 5 V peripherals)`,
      rails,
      totalW: rails.reduce((sum, rail) => sum + rail.powerW, 0),
    },
  ];
}

export const pi5PmicSensorFactory = sampledSensorFactory({
  kind: 'pi5-pmic',
  coverage: 'pmic-rails',
  description: 'Raspberry Pi 5 PMIC rails via vcgencmd pmic_read_adc, sum of V × I (option command)',
  preference: 70,
  provenance: 'measured',
  options: z.object({ command: z.string().default('vcgencmd') }),
  async open(options) {
    const source = new Pi5PmicSource(options.command);
    try {
      source.read();
    } catch (error) {
      throw new SensorConfigError(`pi5-pmic: ${(error as Error).message}`);
    }
    return source;
  },
  probe,
});
