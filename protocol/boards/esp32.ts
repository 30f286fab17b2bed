// ESP32-class microcontroller board (dual-core Xtensa LX6), from the Espressif ESP-WROOM-32
// datasheet currents at 3.3 V. Idle: light sleep (pwr_esp32_light_sleep; the datasheet gives no
// range). Load: CPU on with the radio off, modem sleep (pwr_esp32_modem_sleep: 3 mA at a slow clock,
// 20 mA at most). While it waits for an offloaded answer its radio listens (pwr_esp32_rx). Embodied:
// bottom-up MCU-board estimate (emb_mcu_board_derived). Service life: no source. It runs no agent
// itself; it is recognised by the chip model a firmware bridge reports.

import type { Board } from './board.js';

export const esp32: Board = {
  id: 'esp32',
  name: 'ESP32-class microcontroller board',
  recognise: { modelContains: ['ESP32'] },
  cpuCores: 2,
  sensors: ['ina219', 'ina226'],
  idleW: {
    central: 0.00264,
    low: 0.00264,
    high: 0.00264,
    factor: 'pwr_esp32_light_sleep',
    scale: 3.3 / 1000,
    note: 'DERIVED: light-sleep current (mA) × 3.3 V / 1000',
  },
  loadW: {
    central: 0.033,
    low: 0.0099,
    high: 0.066,
    factor: 'pwr_esp32_modem_sleep',
    scale: 3.3 / 1000,
    note: 'DERIVED: modem-sleep current, CPU on and radio off (mA) × 3.3 V / 1000',
  },
  offloadWaitW: {
    central: 0.2805,
    low: 0.264,
    high: 0.297,
    factor: 'pwr_esp32_rx',
    scale: 3.3 / 1000,
    note: 'DERIVED: RX/listen current (mA) × 3.3 V / 1000',
  },
  embodiedKgCo2e: { central: 1.2, low: 0.93, high: 1.43, factor: 'emb_mcu_board_derived' },
  lifetimeYears: { unsourced: 'no source gives the service life of an ESP32-class board' },
  hostSpeedFactor: {
    central: 1000,
    low: 300,
    high: 3000,
    assumption:
      'UNSOURCED assumption: a 240 MHz Xtensa LX6 without SIMD or a float vector unit against a server x86 core; an order of magnitude only, and TF.js does not run on it',
  },
};
