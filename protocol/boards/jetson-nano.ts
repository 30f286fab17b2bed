// NVIDIA Jetson Nano (4 × Cortex-A57). Idle: DeepEdgeBench (pwr_jetson_nano_idle). Load: no measured
// full-load figure was found, so the nvpmodel power budget stands in, with its range
// (pwr_jetson_nano_modes; DeepEdgeBench measured 2.1–4 W during inference). Embodied: no Jetson PCF,
// so the Raspberry-Pi-class SBC estimate as a labelled proxy. Service life: no source.

import type { Board } from './board.js';

export const jetsonNano: Board = {
  id: 'jetson-nano',
  name: 'NVIDIA Jetson Nano',
  recognise: { modelContains: ['Jetson Nano'] },
  cpuCores: 4,
  sensors: ['jetson-ina3221', 'ina219', 'ina226'],
  idleW: { central: 1.1, low: 1.06, high: 1.12, factor: 'pwr_jetson_nano_idle' },
  loadW: {
    central: 10,
    low: 5,
    high: 10,
    factor: 'pwr_jetson_nano_modes',
    note: 'power-mode budget, not a measurement',
  },
  embodiedKgCo2e: {
    central: 9.5,
    low: 3.2,
    high: 18.1,
    factor: 'emb_sbc_bare_derived',
    note: 'proxy: Raspberry-Pi-class SBC estimate; no Jetson Nano PCF exists (UNSOURCED)',
  },
  lifetimeYears: { unsourced: 'no source gives the service life of a Jetson Nano' },
};
