// NVIDIA Jetson Orin Nano developer kit. Idle power: pwr_orin_nano_idle (single forum source).
// Embodied: Raspberry-Pi-class SBC estimate as a proxy (no Orin PCF). Service life: UNSOURCED.

import { fromFactor } from '../../uncertain.js';
import type { BoardProfile } from '../types.js';

export const jetsonOrinNano: BoardProfile = {
  id: 'jetson-orin-nano',
  name: 'NVIDIA Jetson Orin Nano',
  idleW: fromFactor('pwr_orin_nano_idle'),
  embodiedKg: fromFactor(
    'emb_sbc_bare_derived',
    1,
    'proxy: Raspberry-Pi-class SBC estimate; no Jetson Orin PCF exists (UNSOURCED)',
  ),
  lifetimeYears: { unsourced: 'no source gives the service life of a Jetson Orin Nano' },
};
