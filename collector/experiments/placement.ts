// The placement command the experiment driver sends next to each assignment: retained JSON on
// `edgewatt/v1/{fleet}/{device}/cmd/placement` (offload contract §3), telling the agent to run the
// arm's placement (edge, offload, auto) and to tag its records with the experiment and arm. And the
// collector's view of what that topic holds retained now, so a stopped experiment can put back what
// was there before it.
//
// The command's schema and encoder are protocol/placement.ts's (shared with the agent).

import { buildTopic } from '../../protocol/index.js';
import { PLACEMENT_COMMAND } from '../../protocol/placement.js';

export { encodePlacementCommand, type PlacementCommand } from '../../protocol/placement.js';

export const placementTopic = (fleet: string, device: string): string =>
  buildTopic({ fleet, device, kind: 'cmd', command: PLACEMENT_COMMAND });

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

  /** Every device whose topic holds a command now. */
  entries(): { fleet: string; device: string; payload: Uint8Array }[] {
    return [...this.byDevice].map(([key, payload]) => {
      const slash = key.indexOf('/');
      return { fleet: key.slice(0, slash), device: key.slice(slash + 1), payload };
    });
  }
}
