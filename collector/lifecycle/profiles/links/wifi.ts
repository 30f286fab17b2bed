// Wi-Fi (802.11n) link. Radio: the ESP32-module TX energy per bit (radio_wifi_esp32_ebit, DERIVED in
// the reference); no receive figure is sourced, so the TX figure stands in for RX too (an overestimate:
// RX current is 80-90 mA against 160-260 mA TX). Per request: the Wi-Fi tail (radio_wifi_tail_time ×
// radio_wifi_active_power_phone). Network: fixed-line core + access, average (Aslan trend to 2020) and
// marginal (Malmodin power model). The home router (CPE) is left out: it is on anyway.

import { derived, fromFactor } from '../../uncertain.js';
import type { LinkProfile } from '../types.js';

export const wifi: LinkProfile = {
  id: 'wifi',
  name: 'Wi-Fi 802.11n + fixed broadband',
  uplinkUJPerBit: fromFactor('radio_wifi_esp32_ebit'),
  downlinkUJPerBit: fromFactor(
    'radio_wifi_esp32_ebit',
    1,
    'TX figure used for receive (no RX per-bit figure is sourced); overstates RX',
  ),
  requestOverheadJ: derived(
    0.25 * 0.403,
    0.25 * 0.403,
    0.25 * 1.16,
    'triangular',
    'radio_wifi_tail_time × radio_wifi_active_power_phone (ARO WiFi.conf, i997.conf)',
    'tail 0.25 s × active power 0.403 W (range to 1.16 W)',
  ),
  kWhPerGB: {
    attributional: fromFactor('net_fixed_attributional_range'),
    marginal: fromFactor('net_fixed_marginal_kwhgb'),
  },
  rttS: { unsourced: 'the round-trip time depends on the deployment; give network.rttS' },
};
