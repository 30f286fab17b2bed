// NVIDIA Jetson Orin Nano developer kit. Idle: NVIDIA forum (pwr_orin_nano_idle). Load: no
// measured figure was found, so the nvpmodel power budget stands in, with its wide range
// (pwr_orin_nano_modes). Embodied: bottom-up SBC estimate (emb_sbc_bare_derived).

import type { BoardProfile } from './profile.js';

export const jetsonOrinNano: BoardProfile = {
  id: 'jetson-orin-nano',
  name: 'NVIDIA Jetson Orin Nano',
  recognise: /Orin Nano/i,
  cpuCores: 6,
  idleW: { central: 2.6, low: 2.18, high: 2.6, source: 'pwr_orin_nano_idle' },
  loadW: {
    central: 15,
    low: 7,
    high: 25,
    source: 'pwr_orin_nano_modes (power-mode budget, not a measurement)',
  },
  embodiedKgCo2e: { central: 9.5, low: 3.2, high: 18.1, source: 'emb_sbc_bare_derived' },
  sensors: ['ina3221'],
};
