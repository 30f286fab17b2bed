// NVIDIA Jetson Nano. Idle power: pwr_jetson_nano_idle (DeepEdgeBench). Embodied: no Jetson PCF was
// found, so the Raspberry-Pi-class SBC estimate stands in (a proxy, labelled). Service life: UNSOURCED.

import { fromFactor } from '../../uncertain.js';
import type { BoardProfile } from '../types.js';

export const jetsonNano: BoardProfile = {
  id: 'jetson-nano',
  name: 'NVIDIA Jetson Nano',
  idleW: fromFactor('pwr_jetson_nano_idle'),
  embodiedKg: fromFactor(
    'emb_sbc_bare_derived',
    1,
    'proxy: Raspberry-Pi-class SBC estimate; no Jetson Nano PCF exists (UNSOURCED)',
  ),
  lifetimeYears: { unsourced: 'no source gives the service life of a Jetson Nano' },
};
