// What a power sensor sees of a board, by sensor kind: the whole board at its input, the module's
// rails, the CPU package, the PMIC's rails, or nothing (an estimate). Records name their sensor
// (`kind[:board]`), so the collector learns the coverage from this table; each sensor file in
// agent/sensors declares the same value, and a test keeps the two equal.

export const SENSOR_COVERAGES = [
  'board-input',
  'module-rails',
  'cpu-package',
  'pmic-rails',
  'estimate',
] as const;
export type SensorCoverage = (typeof SENSOR_COVERAGES)[number];

export const COVERAGE_DESCRIPTIONS: Readonly<Record<SensorCoverage, string>> = {
  'board-input': 'the board at its power input (a shunt in the supply line)',
  'module-rails':
    "the compute module's input rail; the carrier board (USB, Ethernet, fan, regulators) is not seen",
  'cpu-package': 'the CPU package (RAPL); DRAM, chipset, storage, fans and supply losses are not seen',
  'pmic-rails': "the PMIC's output rails; the 5 V input path, USB and the PMIC's own losses are not seen",
  estimate: "a model of the board's power, not a reading",
};

/** Coverage of each sensor kind the agent registers (agent/sensors/index.ts). */
export const COVERAGE_OF_SENSOR_KIND: Readonly<Record<string, SensorCoverage>> = {
  simulated: 'estimate',
  ina219: 'board-input',
  ina226: 'board-input',
  'jetson-ina3221': 'module-rails',
  rapl: 'cpu-package',
  'pi5-pmic': 'pmic-rails',
  replay: 'estimate',
};

/** Coverage of a record's `sensor` (`kind[:board][:options]`); undefined for a kind not in the table. */
export function coverageOfSensor(sensor: string): SensorCoverage | undefined {
  const kind = sensor.split(':')[0] ?? '';
  return Object.hasOwn(COVERAGE_OF_SENSOR_KIND, kind) ? COVERAGE_OF_SENSOR_KIND[kind] : undefined;
}
