// An experiment through the placement owner (as `edgewatt collector` wires them): an auto arm's
// command goes out with a basis computed for the arm's model, the experiment holds its boards
// (the operator is refused while it runs), and stopping it gives the boards back: the command
// before it put back, or cleared.

import { describe, expect, it } from 'vitest';
import type { DeploymentService } from '../../collector/deploy/assign.js';
import { collectorBoards } from '../../collector/experiments/collector-boards.js';
import {
  type AssignmentPort,
  ExperimentDriver,
  scheduleOfStored,
} from '../../collector/experiments/driver.js';
import { parseExperiment } from '../../collector/experiments/experiment-file.js';
import { ExperimentDb } from '../../collector/experiments/state-db.js';
import type { BasisTarget } from '../../collector/placement/basis.js';
import { PlacementOwner } from '../../collector/placement/owner.js';
import { PlacementDb } from '../../collector/placement/owner-db.js';
import { decodePlacementCommand, type PlacementCommand } from '../../protocol/placement.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);

describe('experiments through the placement owner', () => {
  it('an auto arm gets a basis for its model; the experiment holds its boards until it is stopped', async () => {
    let now = T0;
    const published = new Map<string, PlacementCommand | null>();
    const asked: BasisTarget[] = [];
    const experiments = new ExperimentDb(':memory:');
    const placements = new PlacementDb(':memory:');
    const owner = new PlacementOwner({
      db: placements,
      publish: async (topic, payload) => {
        const decoded = decodePlacementCommand(payload);
        if (!decoded.ok) throw new Error(decoded.error.message);
        published.set(topic.split('/')[3] as string, decoded.value);
      },
      basis: async (target, nowMs) => {
        asked.push(target);
        return {
          ok: true,
          value: {
            basis: { comparedAt: new Date(nowMs).toISOString(), edgeG: 3e-4, offloadG: 2e-4 },
            provenance: {
              scenario: 's',
              modelId: target.modelId,
              edgeSource: 'profile',
              offloadSource: 'profile',
              edgeRecords: 0,
              offloadRecords: 0,
              edgeIntervalG: [0, 1],
              offloadIntervalG: [0, 1],
              probabilityEdgeLower: 0.3,
              notes: [],
            },
          },
        };
      },
      currentModel: async () => A,
      experimentState: (id) => experiments.get(id)?.state ?? null,
      knownDevices: async () => [
        { fleet: 'lab', device: 'pi-1' },
        { fleet: 'lab', device: 'pi-2' },
      ],
      nowMs: () => now,
    });
    // pi-2 had an operator's offload command before the experiment; pi-1 none.
    await owner.operatorSet({ devices: 'lab/pi-2', placement: 'offload', reason: 'before' });
    const port: AssignmentPort = { publishAssignment: async () => undefined };
    const service = {
      db: { assignment: () => null },
      registryHas: async () => true,
    } as unknown as DeploymentService;
    const stored = experiments.create(
      parseExperiment(`
id: auto-exp
fleet: lab
devices: [pi-1, pi-2]
arms:
  - { id: edge, model: ${A} }
  - { id: auto, model: ${B}, placement: auto, server: "https://serve.lan:8790" }
periodS: 600
periods: 2
seed: 4
`),
      ['pi-1', 'pi-2'],
      T0,
      T0,
    );
    const driver = new ExperimentDriver({
      db: experiments,
      port,
      boards: collectorBoards({ service, owner }),
      nowMs: () => now,
    });
    await driver.tick();

    const first = scheduleOfStored(stored).filter((p) => p.period === 0);
    const autoBoard = first.find((p) => p.arm === 'auto')?.device as string;
    expect(autoBoard).toBeDefined();
    expect(published.get(autoBoard)).toMatchObject({
      placement: 'auto',
      server: 'https://serve.lan:8790',
      experiment: 'auto-exp',
      arm: 'auto',
      basis: { comparedAt: new Date(T0).toISOString(), edgeG: 3e-4, offloadG: 2e-4 },
    });
    // The basis is for the arm's model (B), not the model the board ran before (A).
    expect(asked).toEqual([{ fleet: 'lab', device: autoBoard, modelId: B }]);
    await expect(owner.operatorSet({ devices: 'lab/*', placement: 'edge' })).rejects.toThrow(
      /held by running experiment auto-exp/,
    );

    now = T0 + 60_000;
    experiments.end('auto-exp', 'stopped', now, 'test');
    await driver.tick();
    expect(published.get('pi-2')).toMatchObject({ placement: 'offload', reason: 'before' });
    expect(published.get('pi-1')).toBeNull();
    expect(owner.status().map((s) => [s.device, s.owner, s.placement])).toEqual([
      ['pi-2', 'operator', 'offload'],
    ]);
    // Given back: the operator may set without force.
    await owner.operatorSet({ devices: 'lab/pi-1', placement: 'edge' });
    expect(published.get('pi-1')).toMatchObject({ placement: 'edge' });
    await owner.close();
    experiments.close();
    placements.close();
  });
});
