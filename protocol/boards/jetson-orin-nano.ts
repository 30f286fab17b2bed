// NVIDIA Jetson Orin Nano developer kit (6 × Cortex-A78AE). Idle: NVIDIA forum (pwr_orin_nano_idle,
// single source). Load: no measured figure was found, so the nvpmodel power budget stands in, with
// its wide range (pwr_orin_nano_modes). Embodied: no Orin PCF, so the Raspberry-Pi-class SBC
// estimate as a labelled proxy. Service life: no source.

import type { Board } from './board.js';

export const jetsonOrinNano: Board = {
  id: 'jetson-orin-nano',
  name: 'NVIDIA Jetson Orin Nano',
  recognise: { modelContains: ['Orin Nano'] },
  cpuCores: 6,
  sensors: ['jetson-ina3221', 'ina219', 'ina226'],
  idleW: { central: 2.6, low: 2.18, high: 2.6, factor: 'pwr_orin_nano_idle' },
  loadW: {
    central: 15,
    low: 7,
    high: 25,
    factor: 'pwr_orin_nano_modes',
    note: 'power-mode budget, not a measurement',
  },
  embodiedKgCo2e: {
    central: 9.5,
    low: 3.2,
    high: 18.1,
    factor: 'emb_sbc_bare_derived',
    note: 'proxy: Raspberry-Pi-class SBC estimate; no Jetson Orin PCF exists (UNSOURCED)',
  },
  lifetimeYears: { unsourced: 'no source gives the service life of a Jetson Orin Nano' },
};
