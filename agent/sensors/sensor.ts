// The one interface every power source implements: turn an inference window into energy with its
// provenance and uncertainty. Real sensors (INA219/INA226, INA3221, RAPL, PMIC, replay) are a
// SampleSource read synchronously by a sampling worker into a shared ring buffer, and integrated
// by agent/measure; the simulated one computes an estimate from a board profile.

import { EdgewattError } from '../../common/errors.js';
import type { Board } from '../../protocol/boards/index.js';
import type { Provenance, SensorCoverage } from '../../protocol/index.js';
import type { InferenceWindow, WindowEstimate } from '../../runtime/estimate.js';
import type { SensorAccuracy } from '../measure/uncertainty.js';

export type { InferenceWindow };

/** Energy of a window (gross, its uncertainty, the idle baseline) with how it was obtained. */
export interface WindowEnergy extends WindowEstimate {
  sampleCount: number;
  provenance: Provenance;
  /** Standard uncertainty of baselineW, watts, where the sensor knows it (agent/measure/baseline.ts). */
  baselineUncertaintyW?: number;
}

export interface PowerSensor {
  /** `kind[:board]`, as it appears in records (e.g. `simulated:rpi4`). */
  readonly label: string;
  readonly provenance: Provenance;
  /** Seconds between samples, for sensors that sample (decides the batched method); else undefined. */
  readonly samplePeriodS?: number;
  open(): Promise<void>;
  energyOf(window: InferenceWindow): Promise<WindowEnergy>;
  /**
   * The same energy as energyOf, at once, for a sensor that knows it when the window ends (an
   * estimate from the window's own clocks and CPU time). Sample-based sensors leave it out: they
   * wait for the sample after the window's end.
   */
  energyNow?(window: InferenceWindow): WindowEnergy;
  /**
   * Work the sensor did not see as a window ran since the last one (a new model's warm-up): the
   * time since that window is not an idle gap. Sensors that re-measure the baseline in gaps skip it.
   */
  interrupted?(): void;
  close(): Promise<void>;
}

/** What a sample holds: instantaneous power (watts) or a running energy counter (joules). */
export type SampleQuantity = 'power' | 'energy';

export interface RailReading {
  name: string;
  powerW: number;
  voltageV?: number;
  currentA?: number;
}

/**
 * A hardware reading taken synchronously (from the sampling worker). The agent never calls it on
 * the inference thread; agent/sensors/sampler.ts does, at the sampling period.
 */
export interface SampleSource {
  readonly quantity: SampleQuantity;
  /** Where an energy counter wraps, joules (Infinity for power sources). */
  readonly counterRangeJ: number;
  readonly accuracy: SensorAccuracy;
  /** The value describes the moment this long before the read, ns (0 for averaging sources). */
  readonly delayNs: number;
  /**
   * True when each value is the mean power since about one period before the read (an ADC that
   * averages over its conversion cycle, read once per cycle): it is then integrated as energy per
   * interval (value × time since the previous sample), not as a point to interpolate between.
   */
  readonly averaging?: boolean;
  /** Sampling period used when none is configured, milliseconds. */
  readonly defaultPeriodMs: number;
  read(): number;
  /** Per-rail readings where the sensor has several rails (Jetson, Pi 5 PMIC). */
  rails?(): RailReading[];
  close(): void;
}

export interface SensorSpec {
  kind: string;
  board: Board | undefined;
  /** `key=value` options from the spec, e.g. `ina219:rpi4:address=0x41,shuntOhms=0.1`. */
  options: Record<string, string>;
}

/** Where doctor and probes look: a file-system root (tests use a fake tree) and commands. */
export interface ProbeEnv {
  root: string;
  /** Runs a command and returns its standard output; throws when it cannot run. */
  run(command: string, args: readonly string[]): string;
  /** Whether this process may read a file (tests simulate permission denied; root reads anything). */
  canRead?(path: string): boolean;
}

export interface ProbeResult {
  /** The spec the agent would use, e.g. `jetson-ina3221:root=/`. */
  spec: string;
  usable: boolean;
  /** What was found, or why it cannot be used and how to fix it. */
  detail: string;
  rails?: RailReading[];
  totalW?: number;
}

export interface SensorFactory {
  kind: string;
  description: string;
  /**
   * What the sensor sees of the board (board input, module rails, CPU package, PMIC rails, or an
   * estimate): the collector scales what it sees to the board's input (protocol/sensor-coverage.ts).
   */
  coverage: SensorCoverage;
  /** Higher wins when doctor picks among usable sensors (board input > SoC package > estimate). */
  preference?: number;
  /** True for estimates (simulated, replay), which any board may name; other sensors only boards listing them. */
  fitsAnyBoard?: boolean;
  create(spec: SensorSpec): PowerSensor;
  /** For sample-based sensors: opens the hardware reading; runs inside the sampling worker. */
  openSource?(spec: SensorSpec): Promise<SampleSource>;
  /** Looks for this sensor on the machine (for `edgewatt doctor`). */
  probe?(env: ProbeEnv): Promise<ProbeResult[]>;
}

export class SensorConfigError extends EdgewattError {
  override readonly name = 'SensorConfigError';
}
