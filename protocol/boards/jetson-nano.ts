// NVIDIA Jetson Nano (4 × Cortex-A57). Idle: DeepEdgeBench (pwr_jetson_nano_idle; its 1.12 W high was
// one unit's log spread, so the high side is unsourced and gets the default spread). Load: no measured
// full-load figure was found, so the nvpmodel power budget stands in, with its range
// (pwr_jetson_nano_modes; DeepEdgeBench measured 2.1–4 W during inference). Embodied: no Jetson PCF,
// so the Raspberry-Pi-class SBC estimate scaled by board area (emb_jetson_nano_area_scaled, DERIVED
// proxy). Service life: no source.

import type { Board } from './board.js';

export const jetsonNano: Board = {
  id: 'jetson-nano',
  name: 'NVIDIA Jetson Nano',
  recognise: { modelContains: ['Jetson Nano'] },
  cpuCores: 4,
  sensors: ['jetson-ina3221', 'ina219', 'ina226'],
  idleW: {
    central: 1.1,
    low: 1.06,
    high: 1.1,
    factor: 'pwr_jetson_nano_idle',
    note: 'high side UNSOURCED (one unit, one log): the life-cycle engine applies the default spread',
  },
  loadW: {
    central: 10,
    low: 5,
    high: 10,
    factor: 'pwr_jetson_nano_modes',
    note: 'power-mode budget, not a measurement',
  },
  embodiedKgCo2e: {
    central: 15.97,
    low: 5.38,
    high: 30.42,
    factor: 'emb_jetson_nano_area_scaled',
    note: 'proxy: Raspberry-Pi-class SBC estimate × board area (100 × 80 mm vs 85 × 56 mm); no Jetson Nano PCF exists',
  },
  lifetimeYears: { unsourced: 'no source gives the service life of a Jetson Nano' },
  hostSpeedFactor: {
    central: 16,
    low: 8,
    high: 32,
    assumption:
      'UNSOURCED assumption: rpi4 (12, 6.4–24) × 1.3 for a 1.43 GHz Cortex-A57 against the Pi 4 Cortex-A72; CPU only',
  },
};
