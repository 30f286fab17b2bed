// The placement command the experiment driver sends next to each assignment: retained JSON on
// `edgewatt/v1/{fleet}/{device}/cmd/placement` (offload contract §3), telling the agent to run the
// arm's placement (edge, offload, auto) and to tag its records with the experiment and arm. And the
// collector's view of what that topic holds retained now, so a stopped experiment can put back what
// was there before it.
//
// The zod schema of the command belongs to protocol/placement.ts (owner: the placement part, not
// landed when this was written). Until it lands this file builds the command from the contract's
// field list only, as a type; once it lands, `encodePlacementCommand` checks with that schema.

import { buildTopic } from '../../protocol/index.js';

export const PLACEMENT_COMMAND = 'placement';

/** The command as the contract spells it (offload contract §3). */
export interface PlacementCommand {
  v: 1;
  placement: 'edge' | 'offload' | 'auto';
  /** The inference server's URL for offload/auto; absent: the agent's --offload-server. */
  server?: string;
  experiment?: string;
  arm?: string;
  reason?: string;
}

export const placementTopic = (fleet: string, device: string): string =>
  buildTopic({ fleet, device, kind: 'cmd', command: PLACEMENT_COMMAND });

/** The command as UTF-8 JSON, the retained payload. */
export function encodePlacementCommand(command: PlacementCommand): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(command));
}

/**
 * What each device's cmd/placement topic holds retained, as the collector sees it (it subscribes to
 * `edgewatt/v1/+/+/cmd/placement`; the broker hands it every retained command on subscribing and
 * each new one after). An empty payload is MQTT's way to delete a retained message.
 */
export class RetainedPlacements {
  private readonly byDevice = new Map<string, Uint8Array>();

  /** A message on a cmd/placement topic; returns false for any other topic. */
  observe(topic: string, payload: Uint8Array): boolean {
    const match = /^edgewatt\/v1\/([^/]+)\/([^/]+)\/cmd\/placement$/.exec(topic);
    if (match === null) return false;
    const key = `${match[1]}/${match[2]}`;
    if (payload.length === 0) this.byDevice.delete(key);
    else this.byDevice.set(key, new Uint8Array(payload));
    return true;
  }

  /** The retained command of a device now, or null when its topic holds none. */
  get(fleet: string, device: string): Uint8Array | null {
    return this.byDevice.get(`${fleet}/${device}`) ?? null;
  }
}
