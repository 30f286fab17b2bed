// Raspberry Pi 4 Model B. Power: Geerling sbc-reviews and pidramble (factors pwr_pi4_idle,
// pwr_pi4_load). Embodied: no manufacturer PCF exists; bottom-up SBC estimate (emb_sbc_bare_derived).

import type { BoardProfile } from './profile.js';

export const rpi4: BoardProfile = {
  id: 'rpi4',
  name: 'Raspberry Pi 4 Model B',
  recognise: /Raspberry Pi 4/i,
  cpuCores: 4,
  idleW: { central: 2.7, low: 1.6, high: 3.0, source: 'pwr_pi4_idle' },
  loadW: { central: 6.4, low: 5.0, high: 7.2, source: 'pwr_pi4_load' },
  embodiedKgCo2e: { central: 9.5, low: 3.2, high: 18.1, source: 'emb_sbc_bare_derived' },
  sensors: ['ina219', 'ina226'],
};
