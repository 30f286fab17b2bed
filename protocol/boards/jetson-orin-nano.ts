// NVIDIA Jetson Orin Nano developer kit (6 × Cortex-A78AE). Idle: from a stripped minimum-power
// set-up (NVIDIA forum, 2.6 W) to a stock dev-kit-class product (7 W), central their geometric mean
// (pwr_orin_nano_idle, re-sourced in issue 13). Load: a vendor measurement of an Orin Nano Super box,
// ~11 W typical, 19 W peak (pwr_orin_nano_load; low side unsourced). Embodied: the Raspberry-Pi-class
// SBC estimate scaled by board area (emb_jetson_orin_nano_area_scaled, DERIVED proxy; no Jetson PCF).
// Service life: no source.

import type { Board } from './board.js';

export const jetsonOrinNano: Board = {
  id: 'jetson-orin-nano',
  name: 'NVIDIA Jetson Orin Nano',
  recognise: { modelContains: ['Orin Nano'] },
  cpuCores: 6,
  sensors: ['jetson-ina3221', 'ina219', 'ina226'],
  idleW: {
    central: 4.27,
    low: 2.6,
    high: 7,
    factor: 'pwr_orin_nano_idle',
    note: 'stripped minimum (2.6 W) to a stock product (7 W); central their geometric mean',
  },
  loadW: {
    central: 11,
    low: 11,
    high: 19,
    factor: 'pwr_orin_nano_load',
    note: 'vendor-measured typical and peak of an Orin Nano Super product; low side UNSOURCED',
  },
  embodiedKgCo2e: {
    central: 15.77,
    low: 5.31,
    high: 30.04,
    factor: 'emb_jetson_orin_nano_area_scaled',
    note: 'proxy: Raspberry-Pi-class SBC estimate × board area (100 × 79 mm vs 85 × 56 mm); no Jetson Orin PCF exists',
  },
  lifetimeYears: { unsourced: 'no source gives the service life of a Jetson Orin Nano' },
  hostSpeedFactor: {
    central: 4.8,
    low: 3,
    high: 8,
    assumption:
      'UNSOURCED assumption: rpi5 (3, 2–5) × the clock ratio of a 2.4 GHz Cortex-A76 to a 1.5 GHz Cortex-A78AE (1.6); CPU only, the GPU is not used by the WASM backend',
  },
};
