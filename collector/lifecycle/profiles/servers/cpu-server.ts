// A 1U/2U CPU server. Embodied: typical server range (emb_server_typical). Life and utilisation:
// emb_server_lifetime, emb_server_utilization (% → fraction). Wall power: UNSOURCED in the reference.

import { fromFactor } from '../../uncertain.js';
import type { ServerProfile } from '../types.js';

export const cpuServer: ServerProfile = {
  id: 'cpu-server',
  name: '1U/2U CPU server',
  powerW: { unsourced: 'the reference has no CPU-server wall power; give datacenter.powerW' },
  embodiedKg: fromFactor('emb_server_typical'),
  lifetimeYears: fromFactor('emb_server_lifetime'),
  utilization: fromFactor('emb_server_utilization', 0.01, 'percent converted to a fraction'),
  pueClass: 'industry-average',
};
