// 5G NR link. The reference has no per-bit or per-request device energy for 5G (only a 2-3× module
// power ratio against 4G, radio_5g_vs_4g_power) and no 5G marginal network figure: those stay
// UNSOURCED and a scenario must give them. Attributional network: the mobile average (not 5G-specific).

import { fromFactor } from '../../uncertain.js';
import type { LinkProfile } from '../types.js';

const why = 'UNSOURCED: no 5G device energy per bit or per request was found (only a 2-3× power ratio vs 4G)';

export const fiveG: LinkProfile = {
  id: '5g',
  name: '5G NR mobile',
  uplinkUJPerBit: { unsourced: why },
  downlinkUJPerBit: { unsourced: why },
  requestOverheadJ: { unsourced: why },
  kWhPerGB: {
    attributional: fromFactor('net_mobile_ct2020', 1, 'mobile-network average, not 5G-specific'),
    marginal: { unsourced: 'UNSOURCED: only a 4G marginal figure (net_mobile_marginal_kwhgb) exists' },
  },
  rttS: { unsourced: 'the round-trip time depends on the deployment; give network.rttS' },
};
