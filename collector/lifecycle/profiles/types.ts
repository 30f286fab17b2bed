// Profile shapes. A profile is plain data: sourced values (or explicit UNSOURCED markers) that a
// scenario starts from and may override field by field. Adding one = one file + one registry line.

import type { ProfileValue, Uncertain } from '../uncertain.js';

/**
 * An edge board: where the inference runs at the edge, or the device that offloads. Made from the
 * board registry (protocol/boards/) by profiles/boards.ts; boards are added there, not here.
 */
export interface BoardProfile {
  id: string;
  name: string;
  /** Power while the board waits for the offloaded answer, W. */
  idleW: ProfileValue;
  /** Manufacturing (embodied) carbon of the board, kgCO2e. */
  embodiedKg: ProfileValue;
  /** Service life over which the embodied carbon is spread, years. */
  lifetimeYears: ProfileValue;
}

/** A network link: the device's radio and the access/core network behind it. */
export interface LinkProfile {
  id: string;
  name: string;
  /** Device radio energy per bit sent, µJ/bit. */
  uplinkUJPerBit: ProfileValue;
  /** Device radio energy per bit received, µJ/bit. */
  downlinkUJPerBit: ProfileValue;
  /** Fixed device energy per request (radio promotion and tail), J. */
  requestOverheadJ: ProfileValue;
  /**
   * Power above idle while the radio lingers after a request, W. When given, the request overhead
   * is capped at tailW × the gap between requests (round 2): the radio cannot linger longer.
   */
  tailW?: ProfileValue;
  /** Access + core network electricity per GB moved, in the two models, kWh/GB. */
  kWhPerGB: { attributional: ProfileValue; marginal: ProfileValue };
  /** Request round-trip time, s: depends on the deployment, so no profile gives it. */
  rttS: ProfileValue;
}

/** A datacenter server that answers offloaded requests. */
export interface ServerProfile {
  id: string;
  name: string;
  /** Wall power of the server while it serves, W. */
  powerW: ProfileValue;
  embodiedKg: ProfileValue;
  lifetimeYears: ProfileValue;
  /** Average utilisation, 0..1: the busy share of the server's life. */
  utilization: ProfileValue;
  /** Wall power while idle, W: charged over the idle (1 − u) share of its life under `gross`. */
  idleW?: ProfileValue;
  /** PUE class used when the scenario gives none. */
  pueClass: string;
}

export interface PueClass {
  id: string;
  name: string;
  pue: Uncertain;
}

export interface GridRegion {
  id: string;
  name: string;
  gPerKWh: Uncertain;
}
