// The life-cycle engine's public face: parse a scenario, compare the two placements, format it.

export { type BreakEven, breakEven } from './breakeven.js';
export { type Catalog, catalog, formatCatalog } from './catalog.js';
export { type Comparison, compare, compareResolved, simulate, UNIT } from './engine.js';
export { formatComparison, grams } from './format.js';
export { type Measurement, MeasurementError, measure } from './measured.js';
export { type MeasurementSource, type ResolvedScenario, resolveScenario } from './resolve.js';
export { parseScenario, type Scenario, ScenarioError, validateScenario } from './scenario.js';
