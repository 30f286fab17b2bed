// Raspberry Pi 4 Model B. Power: Geerling sbc-reviews, pidramble, chipwired (pwr_pi4_idle,
// pwr_pi4_load). Embodied: no manufacturer PCF exists, so the bottom-up Raspberry-Pi-class SBC
// estimate (emb_sbc_bare_derived). Service life: no source.

import type { Board } from './board.js';

export const rpi4: Board = {
  id: 'rpi4',
  name: 'Raspberry Pi 4 Model B',
  recognise: { modelContains: ['Raspberry Pi 4'] },
  cpuCores: 4,
  sensors: ['ina219', 'ina226'],
  idleW: { central: 2.7, low: 1.6, high: 3, factor: 'pwr_pi4_idle' },
  loadW: { central: 6.4, low: 5, high: 7.2, factor: 'pwr_pi4_load' },
  embodiedKgCo2e: { central: 9.5, low: 3.2, high: 18.1, factor: 'emb_sbc_bare_derived' },
  lifetimeYears: { unsourced: 'no source gives the service life of a Raspberry Pi 4' },
  hostSpeedFactor: {
    central: 12,
    low: 6.4,
    high: 24,
    assumption:
      'UNSOURCED assumption: rpi5 (3, 2–5) × Pi 4 ÷ Pi 5 latency 4.0 (3.2–4.8: SSD-MobileNetV2 on TF 483.5/148.9 ms and TFLite 112.6/23.5 ms, lat_pi4_ssdmnv2_tflite, lat_pi5_ssdmnv2_tflite notes)',
  },
};
