// Wired Ethernet + fixed broadband. No per-bit NIC energy for edge boards is sourced (only the
// 802.3az idle saving), so the device side stays UNSOURCED. Network: as for Wi-Fi (fixed line).

import { fromFactor } from '../../uncertain.js';
import type { LinkProfile } from '../types.js';

const why = 'UNSOURCED: no Ethernet NIC energy per bit or per request on edge boards was found';

export const ethernet: LinkProfile = {
  id: 'ethernet',
  name: 'Ethernet + fixed broadband',
  uplinkUJPerBit: { unsourced: why },
  downlinkUJPerBit: { unsourced: why },
  requestOverheadJ: { unsourced: why },
  kWhPerGB: {
    attributional: fromFactor('net_fixed_attributional_range'),
    marginal: fromFactor('net_fixed_marginal_kwhgb'),
  },
  rttS: { unsourced: 'the round-trip time depends on the deployment; give network.rttS' },
};
