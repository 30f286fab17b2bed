// The collector's BoardPort for the experiment driver: a board's current model from its retained
// assignment (deploy.sqlite, with that assignment's tags) or else from its last status in the store,
// its retained placement command as the collector's subscription saw it, and placement commands
// published retained through the collector's MQTT connection.

import { assignmentSchema } from '../../protocol/deploy/index.js';
import type { DeploymentService, Publish } from '../deploy/assign.js';
import type { RecordReader } from '../store/index.js';
import { placementTopic, type RetainedPlacements } from './placement.js';
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
  placements: RetainedPlacements;
  publish: Publish;
}): BoardPort {
  const { service, reader, placements, publish } = options;
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
    retainedPlacement: (fleet, device) => placements.get(fleet, device),
    async publishPlacement(fleet, device, payload) {
      await publish(placementTopic(fleet, device), payload ?? new Uint8Array(0), { retain: true });
      // The subscription will say so too; recording it now keeps the view right if it is slow.
      placements.observe(placementTopic(fleet, device), payload ?? new Uint8Array(0));
    },
    registryHas: (modelId) => service.registryHas(modelId),
  };
}
