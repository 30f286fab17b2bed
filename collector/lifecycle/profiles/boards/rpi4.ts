// Raspberry Pi 4 Model B. Idle power: pwr_pi4_idle. Embodied: no manufacturer PCF exists, so the
// bottom-up Raspberry-Pi-class SBC estimate (emb_sbc_bare_derived). Service life: UNSOURCED.

import { fromFactor } from '../../uncertain.js';
import type { BoardProfile } from '../types.js';

export const rpi4: BoardProfile = {
  id: 'rpi4',
  name: 'Raspberry Pi 4 Model B',
  idleW: fromFactor('pwr_pi4_idle'),
  embodiedKg: fromFactor('emb_sbc_bare_derived'),
  lifetimeYears: { unsourced: 'no source gives the service life of a Raspberry Pi 4' },
};
