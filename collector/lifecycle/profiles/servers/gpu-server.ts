// An 8-GPU H100 server (DGX-H100 class). Wall power: the MLPerf Inference v4.0 DGX-H100 power run
// (3,941.98 W average, ~4,120 W steady state; in the notes of mlperf_h100_resnet50_spj). Embodied:
// DERIVED host (emb_server_typical) + 8 GPU cards (emb_gpu_h100_boavizta); the absolute HGX H100 PCF
// is UNSOURCED. Life and utilisation as for servers in general. Idle: DERIVED pwr_server_idle_share ×
// the average wall power (a 2007 general-server share: a point value with the default spread).

import { derived, fromFactor, withDefaultSpread } from '../../uncertain.js';
import type { ServerProfile } from '../types.js';

export const gpuServer: ServerProfile = {
  id: 'gpu-server',
  name: '8× H100 GPU server (DGX-H100 class)',
  powerW: derived(
    3941.98,
    3941.98,
    4120,
    'triangular',
    'mlperf_h100_resnet50_spj (MLCommons MLPerf Inference v4.0, DGX-H100 MaxQ power run, 2024)',
    'average wall power 3,941.98 W; ~4,120 W steady state as the high side',
  ),
  embodiedKg: derived(
    1300 + 8 * 280,
    497 + 8 * 195,
    3660 + 8 * 280,
    'triangular',
    'emb_server_typical + 8 × emb_gpu_h100_boavizta (Boavizta, 2019 / n.d.)',
    'host 1,300 (497-3,660) kg + 8 GPU cards × 280 (195-280) kg',
  ),
  lifetimeYears: fromFactor('emb_server_lifetime'),
  utilization: fromFactor('emb_server_utilization', 0.01, 'percent converted to a fraction'),
  idleW: withDefaultSpread(
    derived(
      0.5 * 3941.98,
      0.5 * 3941.98,
      0.5 * 3941.98,
      'fixed',
      'pwr_server_idle_share × mlperf_h100_resnet50_spj average wall power (Barroso & Hölzle 2007; MLPerf v4.0)',
      'idle share 0.5 × 3,941.98 W; not a DGX-H100 idle measurement',
    ),
    'pwr_server_idle_share (no sourced range)',
  ),
  pueClass: 'industry-average',
};
