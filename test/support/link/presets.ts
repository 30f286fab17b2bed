// Emulated link presets: bandwidth per direction (tc tbf in a namespace, netns.ts) and one-way
// delay, jitter and loss (the delay proxy, delay-proxy.ts). The bandwidths come from the
// references (../shared/reference/factors.md); no reference there gives a round-trip time, so
// every delay and jitter below is an UNSOURCED assumption, labelled as such wherever it is printed.

import type { LinkDelays } from './delay-proxy.js';
import type { LinkRates } from './netns.js';

export interface LinkPreset extends LinkRates, LinkDelays {
  id: string;
  /** Where each number comes from, one line each, for docs and bench output. */
  sources: readonly string[];
}

export const LINK_PRESETS = {
  wifi: {
    id: 'wifi',
    uplinkMbit: 20,
    downlinkMbit: 20,
    uplinkDelayMs: 10,
    downlinkDelayMs: 10,
    jitterMs: 2,
    sources: [
      '20 Mbit/s each way: ESP32 802.11n TCP throughput "~20 Mbit/s air-in-lab" (ESP-IDF Wi-Fi guide, ' +
        'via factors.md radio_wifi_esp32_ebit)',
      'one-way delay 10 ms, jitter ±2 ms: UNSOURCED assumption (a Wi-Fi hop plus fixed broadband to a ' +
        'regional datacenter, round trip 20 ms)',
    ],
  },
  lte: {
    id: 'lte',
    uplinkMbit: 6,
    downlinkMbit: 13,
    uplinkDelayMs: 35,
    downlinkDelayMs: 35,
    jitterMs: 10,
    sources: [
      '6 Mbit/s up, 13 Mbit/s down: median LTE throughputs measured by Huang et al., MobiSys 2012 ' +
        '(factors.md radio_lte_ebit_up_eff / radio_lte_ebit_down_eff)',
      'one-way delay 35 ms, jitter ±10 ms: UNSOURCED assumption (round trip 70 ms to a datacenter over LTE)',
    ],
  },
} as const satisfies Record<string, LinkPreset>;

export type LinkPresetId = keyof typeof LINK_PRESETS;

export function linkPreset(id: string): LinkPreset {
  const preset = (LINK_PRESETS as Record<string, LinkPreset>)[id];
  if (preset === undefined)
    throw new RangeError(`no link preset "${id}"; presets: ${Object.keys(LINK_PRESETS).join(', ')}`);
  return preset;
}

/** One line: "lte: 6/13 Mbit/s up/down, 35/35 ms one-way (±10 ms)". */
export function describeLink(preset: LinkPreset): string {
  const rate = (mbit: number | null) => (mbit === null ? 'unshaped' : String(mbit));
  return (
    `${preset.id}: ${rate(preset.uplinkMbit)}/${rate(preset.downlinkMbit)} Mbit/s up/down, ` +
    `${preset.uplinkDelayMs}/${preset.downlinkDelayMs} ms one-way (±${preset.jitterMs ?? 0} ms)` +
    ((preset.lossProbability ?? 0) > 0 ? `, loss ${(preset.lossProbability ?? 0) * 100} % of chunks` : '')
  );
}
