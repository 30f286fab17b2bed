// PUE classes: industry average (a facility drawn from the industry: Uptime survey average with the
// spread across facilities, pue_facility_spread), hyperscale (DERIVED span of the published
// hyperscaler fleet values), each hyperscaler and colocation on its own.

import { derived, fromFactor, isUnsourced, type ProfileValue, type Uncertain } from '../uncertain.js';
import type { PueClass } from './types.js';

function sourced(value: ProfileValue): Uncertain {
  if (isUnsourced(value)) throw new Error(`PUE factor without a value: ${value.unsourced}`);
  return value;
}

export const PUE_CLASSES: readonly PueClass[] = [
  { id: 'industry-average', name: 'industry average', pue: sourced(fromFactor('pue_facility_spread')) },
  {
    id: 'hyperscale',
    name: 'hyperscale',
    pue: derived(
      1.1,
      1.08,
      1.2,
      'triangular',
      'pue_google (central), pue_meta (low), pue_aws (high)',
      'central Google fleet 1.10; low Meta 1.08; high AWS "all under 1.2"',
    ),
  },
  { id: 'google', name: 'Google fleet', pue: sourced(fromFactor('pue_google')) },
  { id: 'meta', name: 'Meta fleet', pue: sourced(fromFactor('pue_meta')) },
  { id: 'microsoft', name: 'Microsoft fleet', pue: sourced(fromFactor('pue_microsoft')) },
  { id: 'aws', name: 'AWS (CCF assumption)', pue: sourced(fromFactor('pue_aws')) },
  { id: 'colocation', name: 'colocation (Equinix)', pue: sourced(fromFactor('pue_equinix')) },
];
