// Where the next input runs: the agent's --placement flags, overridden by the retained
// cmd/placement command (protocol/placement.ts), and for `auto` a per-request choice. `auto`
// offloads when the latest comparison it got says offloading emits less (offloadG < edgeG) and the
// server is healthy; after a failure or a round trip over --offload-max-rtt-ms it runs on the edge
// for a back-off (5 s doubling to 60 s, or the server's Retry-After if longer), then sends one
// probe request (policy `auto-fallback`) to learn whether the server is back. With
// --offload-explore, a share of the inputs the comparison keeps on the board (or that have no
// comparison yet) is offloaded anyway (policy `auto-explore`), so that the device's offload records
// — and the collector's next basis — measure the offload side instead of a profile. Pure state
// over an injected clock and random source: the tests drive both.

import type { PlacementCommand, PlacementMode } from '../../protocol/placement.js';
import type { OffloadOutcome } from './outcome.js';

/** Why an offloaded input was offloaded (the offload record's `policy`). */
export type OffloadPolicy = 'fixed' | 'auto-comparison' | 'auto-fallback' | 'auto-explore';

export interface PlacementSettings {
  mode: PlacementMode;
  /** --offload-server; a command's `server` replaces it while the command holds. */
  server?: string | undefined;
  /** Round trips above this count as a slow server for `auto`. */
  maxRttMs: number;
  /** Whether a failed offload also runs on the edge; undefined: yes for auto, no for offload. */
  fallbackToEdge?: boolean | undefined;
  /** For auto: share of the inputs kept on the board by the comparison that are offloaded anyway (0..1). */
  exploreShare?: number | undefined;
}

export type Decision =
  | {
      placement: 'edge';
      /** Why not offload: flags say edge, the comparison favours the edge, the server is down or slow, none is known. */
      why: 'fixed' | 'comparison' | 'server-unhealthy' | 'no-server';
    }
  | { placement: 'offload'; policy: OffloadPolicy; server: string };

export const FIRST_BACKOFF_MS = 5_000;
export const MAX_BACKOFF_MS = 60_000;

export class PlacementPolicy {
  private command: PlacementCommand | null = null;
  /** Auto runs on the edge until this time (ms on the clock) after a failed or slow offload. */
  private downUntilMs: number | null = null;
  private backoffMs = FIRST_BACKOFF_MS;

  constructor(
    private readonly settings: PlacementSettings,
    private readonly nowMs: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {}

  /** Takes a (retained) command; null clears it and the flags hold again. */
  apply(command: PlacementCommand | null): void {
    this.command = command;
    this.healthy();
  }

  get mode(): PlacementMode {
    return this.command?.placement ?? this.settings.mode;
  }

  get server(): string | undefined {
    return this.command?.server ?? this.settings.server;
  }

  /** Experiment tags of the command, put on records made while it holds. */
  get tags(): { experiment?: string; arm?: string } {
    const tags: { experiment?: string; arm?: string } = {};
    if (this.command?.experiment !== undefined) tags.experiment = this.command.experiment;
    if (this.command?.arm !== undefined) tags.arm = this.command.arm;
    return tags;
  }

  /** Whether an input whose offload failed also runs on the edge. */
  get fallbackToEdge(): boolean {
    return this.settings.fallbackToEdge ?? this.mode === 'auto';
  }

  /** Whether placement may ever send an input away (so edge records say `placement: edge`). */
  get active(): boolean {
    return this.mode !== 'edge' || this.command !== null;
  }

  decide(): Decision {
    const mode = this.mode;
    if (mode === 'edge') return { placement: 'edge', why: 'fixed' };
    const server = this.server;
    if (server === undefined) return { placement: 'edge', why: 'no-server' };
    if (mode === 'offload') return { placement: 'offload', policy: 'fixed', server };
    const basis = this.command?.basis;
    if (basis === undefined || !(basis.offloadG < basis.edgeG)) {
      // Exploring only while the server is healthy or its back-off is over (the explored request
      // is then the probe): a back-off is never cut short by it.
      const share = this.settings.exploreShare ?? 0;
      const healthy = this.downUntilMs === null || this.nowMs() >= this.downUntilMs;
      if (share > 0 && healthy && this.random() < share)
        return { placement: 'offload', policy: 'auto-explore', server };
      return { placement: 'edge', why: 'comparison' };
    }
    if (this.downUntilMs === null) return { placement: 'offload', policy: 'auto-comparison', server };
    if (this.nowMs() < this.downUntilMs) return { placement: 'edge', why: 'server-unhealthy' };
    // The back-off is over: this request finds out whether the server is back.
    return { placement: 'offload', policy: 'auto-fallback', server };
  }

  /** What an offloaded request met: a failure or a slow answer sends `auto` to the edge for a while. */
  observe(outcome: OffloadOutcome, roundTripS: number, retryAfterS?: number): void {
    if (outcome === 'ok' && roundTripS * 1000 <= this.settings.maxRttMs) {
      this.healthy();
      return;
    }
    const waitMs = Math.max(this.backoffMs, (retryAfterS ?? 0) * 1000);
    this.downUntilMs = this.nowMs() + waitMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
  }

  /** Until when `auto` stays on the edge (ms on the clock), or null while the server is healthy. */
  get unhealthyUntilMs(): number | null {
    return this.downUntilMs;
  }

  private healthy(): void {
    this.downUntilMs = null;
    this.backoffMs = FIRST_BACKOFF_MS;
  }
}
