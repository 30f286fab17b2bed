// Raspberry Pi 5. Idle power: pwr_pi5_idle. Embodied: bottom-up Raspberry-Pi-class SBC estimate
// (emb_sbc_bare_derived; no manufacturer PCF). Service life: UNSOURCED.

import { fromFactor } from '../../uncertain.js';
import type { BoardProfile } from '../types.js';

export const rpi5: BoardProfile = {
  id: 'rpi5',
  name: 'Raspberry Pi 5',
  idleW: fromFactor('pwr_pi5_idle'),
  embodiedKg: fromFactor('emb_sbc_bare_derived'),
  lifetimeYears: { unsourced: 'no source gives the service life of a Raspberry Pi 5' },
};
