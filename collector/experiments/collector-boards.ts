// The collector's BoardPort for the experiment driver: a board's current model from its retained
// assignment (deploy.sqlite, with that assignment's tags) or else from its last status in the store,
// its retained placement command as the collector's subscription saw it, and placement commands
// published through the collector's one writer of that retained topic (collector/placement/owner.ts),
// which gives the experiment the device and an auto arm its basis.

import { assignmentSchema } from '../../protocol/deploy/index.js';
import type { DeploymentService } from '../deploy/assign.js';
import type { PlacementOwner } from '../placement/owner.js';
import type { RecordReader } from '../store/index.js';
import type { AssignmentTags, BoardPort } from './ports.js';

/** The tags inside a stored signed assignment payload; undefined when it has none or cannot be read. */
export function tagsOfPayload(payload: Uint8Array): AssignmentTags | undefined {
  try {
    const outer = JSON.parse(new TextDecoder().decode(payload)) as { assignment?: unknown };
    if (typeof outer.assignment !== 'string') return undefined;
    const parsed = assignmentSchema.safeParse(JSON.parse(outer.assignment));
    return parsed.success ? parsed.data.tags : undefined;
  } catch {
    return undefined;
  }
}

export function collectorBoards(options: {
  service: DeploymentService;
  reader?: RecordReader | undefined;
  owner: PlacementOwner;
}): BoardPort {
  const { service, reader, owner } = options;
  return {
    async currentModel(fleet, device) {
      const assigned = service.db.assignment(fleet, device);
      if (assigned !== null) {
        const tags = tagsOfPayload(assigned.payload);
        return { modelId: assigned.modelId, ...(tags === undefined ? {} : { tags }) };
      }
      if (reader === undefined) return null;
      const status = (await reader.readDevices({ fleet, device })).find(
        (d) => d.fleet === fleet && d.device === device,
      );
      return status?.modelId == null ? null : { modelId: status.modelId };
    },
    retainedPlacement: (fleet, device) => owner.retained.get(fleet, device),
    async publishPlacement(fleet, device, payload, by) {
      if (by.restore === true) return owner.experimentRestore(fleet, device, by.experiment, payload);
      if (payload === null) return owner.experimentRestore(fleet, device, by.experiment, null);
      await owner.experimentSet(fleet, device, by.experiment, payload, by.modelId ?? null);
      return true;
    },
    registryHas: (modelId) => service.registryHas(modelId),
  };
}
