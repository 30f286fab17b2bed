// Low-power cellular link: LTE-M (or NB-IoT) with power saving mode (PSM). Per request: one measured
// small exchange (200 B request + 200 B response) including the re-attach after PSM and the connected
// tail (radio_ltem_psm_exchange_energy: nRF9160-DK LTE-M central, NB-IoT with RAI low, Thingy:91
// high), capped at tailW × the gap (radio_ltem_psm_wake_power). No per-bit LTE-M energy was found:
// the exchange already covers 200 B each way, so for payloads of that size give 0 per bit.

import { fromFactor } from '../../uncertain.js';
import type { LinkProfile } from '../types.js';

const perBit =
  'UNSOURCED: no LTE-M / NB-IoT device energy per bit was found; the per-request energy already covers a 200 B request and 200 B response (give network.uplinkUJPerBit / downlinkUJPerBit: 0 for payloads of that size, or a figure of your own)';

export const lteM: LinkProfile = {
  id: 'lte-m-psm',
  name: 'LTE-M / NB-IoT with power saving mode',
  uplinkUJPerBit: { unsourced: perBit },
  downlinkUJPerBit: { unsourced: perBit },
  requestOverheadJ: fromFactor('radio_ltem_psm_exchange_energy'),
  tailW: fromFactor('radio_ltem_psm_wake_power'),
  kWhPerGB: {
    attributional: fromFactor('net_mobile_ct2020', 1, 'mobile-network average, not LTE-M-specific'),
    marginal: fromFactor('net_mobile_marginal_kwhgb', 1, '4G marginal figure, not LTE-M-specific'),
  },
  rttS: { unsourced: 'the round-trip time depends on the deployment; give network.rttS' },
};
