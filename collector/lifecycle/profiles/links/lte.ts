// LTE link. Radio: effective energy per bit at Huang et al.'s median rates (radio_lte_ebit_up_eff,
// radio_lte_ebit_down_eff; high side default spread). Per request: RRC promotion + tail of an isolated
// transfer (radio_lte_promo_energy + radio_lte_tail_energy), capped at tailW × the gap between
// requests (tailW = radio_lte_tail_power), so closely spaced requests share a tail (issue 13).
// Network: mobile average (Carbon Trust) and 4G marginal (Malmodin).

import { derived, fromFactor, withDefaultSpread } from '../../uncertain.js';
import type { LinkProfile } from '../types.js';

export const lte: LinkProfile = {
  id: 'lte',
  name: 'LTE (4G) mobile',
  uplinkUJPerBit: fromFactor('radio_lte_ebit_up_eff'),
  downlinkUJPerBit: fromFactor('radio_lte_ebit_down_eff'),
  requestOverheadJ: withDefaultSpread(
    derived(
      0.315 + 10.7,
      0.315 + 10.7,
      0.315 + 10.7,
      'fixed',
      'radio_lte_promo_energy + radio_lte_tail_energy (ARO lte.conf, Huang et al. 2012)',
      'promotion 0.315 J + tail 10.7 J of an isolated transfer; capped at tailW × the gap between requests',
    ),
    'radio_lte_promo_energy + radio_lte_tail_energy (no sourced range)',
  ),
  tailW: fromFactor('radio_lte_tail_power'),
  kWhPerGB: {
    attributional: fromFactor('net_mobile_ct2020'),
    marginal: fromFactor('net_mobile_marginal_kwhgb'),
  },
  rttS: { unsourced: 'the round-trip time depends on the deployment; give network.rttS' },
};
