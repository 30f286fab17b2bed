// Placement commands, wired for `edgewatt collector`: the owner of every device's retained
// cmd/placement (owner.ts), its table (owner-db.ts) and the auto basis from the store and the
// collector's --placement-scenario (basis.ts).

import { readFileSync } from 'node:fs';
import { parseScenario } from '../lifecycle/index.js';
import type { OffloadReader, RecordReader } from '../store/store.js';
import { type BasisSource, storeBasisSource } from './basis.js';
import { PlacementOwner, type Publish } from './owner.js';
import { PlacementDb, placementDbPath } from './owner-db.js';

export { type BasisProvenance, type ComputedBasis, storeBasisSource } from './basis.js';
export {
  type OperatorRequest,
  type OperatorSet,
  type PlacementChange,
  PlacementOwner,
  PlacementOwnershipError,
  type PlacementStatus,
} from './owner.js';
export { PlacementDb, placementDbPath } from './owner-db.js';

export interface PlacementWiring {
  dataDir: string;
  publish: Publish;
  reader?: RecordReader | undefined;
  offload?: OffloadReader | undefined;
  /** Scenario file the auto basis is computed with; none: auto commands go without a basis. */
  scenarioPath?: string | undefined;
  /** How often every auto basis is recomputed, s (0: only when a command is set). */
  basisEveryS: number;
  experimentState: (id: string) => 'running' | 'stopped' | 'finished' | null;
}

export function openPlacement(wiring: PlacementWiring): { owner: PlacementOwner; close(): Promise<void> } {
  const db = new PlacementDb(placementDbPath(wiring.dataDir));
  const reader = wiring.reader;
  let basis: BasisSource | undefined;
  if (wiring.scenarioPath !== undefined && reader !== undefined) {
    const scenario = parseScenario(readFileSync(wiring.scenarioPath, 'utf8'), wiring.scenarioPath);
    basis = storeBasisSource({
      scenario,
      scenarioName: scenario.name ?? wiring.scenarioPath,
      reader,
      offload: wiring.offload,
    });
  }
  const owner = new PlacementOwner({
    db,
    publish: wiring.publish,
    basis,
    experimentState: wiring.experimentState,
    async currentModel(fleet, device) {
      if (reader === undefined) return null;
      const status = (await reader.readDevices({ fleet, device })).find(
        (d) => d.fleet === fleet && d.device === device,
      );
      return status?.modelId ?? null;
    },
    knownDevices: async () =>
      reader === undefined
        ? []
        : (await reader.readDevices()).map((d) => ({ fleet: d.fleet, device: d.device })),
  });
  owner.start(wiring.basisEveryS * 1000);
  return {
    owner,
    async close() {
      await owner.close();
      db.close();
    },
  };
}
