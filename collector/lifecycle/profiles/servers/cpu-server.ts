// A 1U/2U CPU server. Embodied: typical server range (emb_server_typical). Life and utilisation:
// emb_server_lifetime, emb_server_utilization (% → fraction, 10-60 %). Wall power: UNSOURCED in the
// reference, so idle power (pwr_server_idle_share × powerW) is too: give datacenter.idleW.

import { fromFactor } from '../../uncertain.js';
import type { ServerProfile } from '../types.js';

export const cpuServer: ServerProfile = {
  id: 'cpu-server',
  name: '1U/2U CPU server',
  powerW: { unsourced: 'the reference has no CPU-server wall power; give datacenter.powerW' },
  embodiedKg: fromFactor('emb_server_typical'),
  lifetimeYears: fromFactor('emb_server_lifetime'),
  utilization: fromFactor('emb_server_utilization', 0.01, 'percent converted to a fraction'),
  idleW: {
    unsourced:
      'idle power is pwr_server_idle_share × powerW and this profile has no sourced powerW; give datacenter.idleW',
  },
  pueClass: 'industry-average',
};
