// Grid regions: annual-average carbon intensity of electricity (Ember 2024 central, other datasets
// as the range). The region id is what a scenario names: `region: BE`.

import { fromFactor, isUnsourced } from '../uncertain.js';
import type { GridRegion } from './types.js';

function region(id: string, name: string, factor: string): GridRegion {
  const value = fromFactor(factor);
  if (isUnsourced(value)) throw new Error(`grid factor ${factor} has no value`);
  return { id, name, gPerKWh: value };
}

export const GRID_REGIONS: readonly GridRegion[] = [
  region('WORLD', 'World', 'grid_world'),
  region('EU27', 'EU-27', 'grid_eu27'),
  region('US', 'United States', 'grid_usa'),
  region('US-CA', 'California (CAISO)', 'grid_california'),
  region('CN', 'China', 'grid_china'),
  region('IN', 'India', 'grid_india'),
  region('FR', 'France', 'grid_france'),
  region('DE', 'Germany', 'grid_germany'),
  region('BE', 'Belgium', 'grid_belgium'),
  region('SE', 'Sweden', 'grid_sweden'),
  region('PL', 'Poland', 'grid_poland'),
];
