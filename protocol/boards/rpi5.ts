// Raspberry Pi 5. Power: Geerling sbc-reviews (pwr_pi5_idle, pwr_pi5_load). Embodied: no
// manufacturer PCF exists, so the bottom-up Raspberry-Pi-class SBC estimate (emb_sbc_bare_derived).
// Service life: no source.

import type { Board } from './board.js';

export const rpi5: Board = {
  id: 'rpi5',
  name: 'Raspberry Pi 5',
  recognise: { modelContains: ['Raspberry Pi 5'] },
  cpuCores: 4,
  sensors: ['pi5-pmic', 'ina219', 'ina226'],
  idleW: { central: 2.8, low: 2.4, high: 3.1, factor: 'pwr_pi5_idle' },
  loadW: { central: 9.7, low: 7.9, high: 13.8, factor: 'pwr_pi5_load' },
  embodiedKgCo2e: { central: 9.5, low: 3.2, high: 18.1, factor: 'emb_sbc_bare_derived' },
  lifetimeYears: { unsourced: 'no source gives the service life of a Raspberry Pi 5' },
  hostSpeedFactor: {
    central: 3,
    low: 2,
    high: 5,
    assumption:
      'UNSOURCED assumption: a server x86 core runs the WASM SIMD kernels 2–5× faster than one 2.4 GHz Cortex-A76; no benchmark of the same model on both was found',
  },
};
