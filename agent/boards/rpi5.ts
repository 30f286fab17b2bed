// Raspberry Pi 5. Power: Geerling sbc-reviews (factors pwr_pi5_idle, pwr_pi5_load). Embodied: no
// manufacturer PCF exists; bottom-up SBC estimate (emb_sbc_bare_derived).

import type { BoardProfile } from './profile.js';

export const rpi5: BoardProfile = {
  id: 'rpi5',
  name: 'Raspberry Pi 5',
  recognise: /Raspberry Pi 5/i,
  cpuCores: 4,
  idleW: { central: 2.8, low: 2.4, high: 3.1, source: 'pwr_pi5_idle' },
  loadW: { central: 9.7, low: 7.9, high: 13.8, source: 'pwr_pi5_load' },
  embodiedKgCo2e: { central: 9.5, low: 3.2, high: 18.1, source: 'emb_sbc_bare_derived' },
  sensors: ['pi5-pmic', 'ina219', 'ina226'],
};
