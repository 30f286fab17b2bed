// ESP32-class microcontroller board. While it waits for an offloaded answer its radio listens, so
// the waiting power is the RX/listen current at 3.3 V (DERIVED from pwr_esp32_rx). Embodied: the
// bottom-up MCU-board estimate (emb_mcu_board_derived). Service life: UNSOURCED.

import { fromFactor } from '../../uncertain.js';
import type { BoardProfile } from '../types.js';

export const esp32: BoardProfile = {
  id: 'esp32',
  name: 'ESP32-class microcontroller board',
  idleW: fromFactor('pwr_esp32_rx', 3.3 / 1000, 'DERIVED: RX/listen current (mA) × 3.3 V / 1000'),
  embodiedKg: fromFactor('emb_mcu_board_derived'),
  lifetimeYears: { unsourced: 'no source gives the service life of an ESP32-class board' },
};
