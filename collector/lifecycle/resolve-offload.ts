// The offload side of a scenario from the store's offload records (measured-offload.ts): the
// device's energy per offloaded request (its radio and its waiting, measured over the whole
// request window), the round trip, the bytes on the socket, and the server's energy per request
// labelled by where it came from (measured by RAPL or NVML, or ESTIMATED). Each becomes a
// candidate value of resolve.ts with its origin and a source naming the records it came from.
// The network's own energy (kWh/GB) stays a model, applied to the measured bytes.

import { coverageFactor, describeCoverage, triangularSigma } from './coverage.js';
import { normalAround } from './measured.js';
import type { OffloadMeasurement } from './measured-offload.js';
import { GRID_REGIONS, PUE_CLASSES } from './profiles/index.js';
import { fixed, type Uncertain } from './uncertain.js';

/** A candidate value of resolve.ts (origin, value, what it came from), as this side makes them. */
type Candidate = ['measured' | 'store-estimate', Uncertain, string];

export interface OffloadSide {
  inputBytes: Candidate;
  outputBytes: Candidate;
  /** Zero: the radio's per-bit energy is inside the measured device energy. */
  radioPerBit: Candidate;
  /** The device's energy per answered request (gross, or above idle), for network.requestOverheadJ. */
  deviceEnergyJ: Candidate;
  rttS: Candidate;
  serverEnergyJ: Candidate;
  /** Share of labelled answered requests that were right, when feedback labelled some. */
  accuracy?: Candidate;
  /** The one known grid region / PUE class the servers stated, else undefined (a warning says why). */
  serverRegion?: string;
  serverPueClass?: string;
}

const counts = (byKey: Record<string, number>): string =>
  Object.entries(byKey)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');

/** What the servers stated, if it is one id the factor tables know; else a warning and undefined. */
function stated(
  what: string,
  ids: readonly string[],
  known: readonly { id: string }[],
  field: string,
  warnings: string[],
): string | undefined {
  if (ids.length === 0) return undefined;
  if (ids.length > 1) {
    warnings.push(
      `the offload records name ${ids.length} ${what}s (${ids.join(', ')}); give ${field} in the scenario`,
    );
    return undefined;
  }
  const id = ids[0] as string;
  if (known.some((k) => k.id === id)) return id;
  warnings.push(
    `the server states ${what} ${JSON.stringify(id)}, which the factor tables do not know (known: ${known.map((k) => k.id).join(', ')}); give ${field} in the scenario`,
  );
  return undefined;
}

export function offloadSide(o: OffloadMeasurement, gross: boolean, warnings: string[]): OffloadSide {
  const from = `store: ${o.answered} answered offload records of ${o.device} / ${o.modelId.slice(0, 12)}`;
  const failed = o.records - o.answered;
  if (failed > 0)
    warnings.push(
      `${failed} of ${o.records} offload requests of ${o.device} failed (${counts(o.outcomes)}): the offload side is what an answered request costs; failed requests and their fallbacks are not charged`,
    );
  if (!gross && o.withoutBaseline > 0)
    warnings.push(
      `${o.withoutBaseline} answered offload records have no deviceBaselineW: their whole energy is counted as above idle`,
    );

  // The device's energy, scaled to the board's input by the sensor's coverage as on the edge side.
  const coverage = o.coverage === 'unknown' ? undefined : coverageFactor(o.coverage);
  const c = coverage?.central ?? 1;
  const cSigma = coverage === undefined ? 0 : triangularSigma(coverage.low, coverage.central, coverage.high);
  const energy = gross ? o.deviceEnergyJ : o.deviceAboveIdleJ;
  const deviceMixed = o.deviceEnergyProvenance === 'mixed';
  const deviceEnergy = normalAround(
    energy.mean * c,
    Math.hypot(
      Math.hypot(energy.standardError, o.deviceEnergyJ.sensorUncertaintyJ) * c,
      energy.mean * cSigma,
    ),
    `${from}, device energy ${o.deviceEnergyProvenance} (${o.sensors.join(', ')})`,
    `the device's ${gross ? 'gross' : 'above-idle'} energy over the whole request window (radio and waiting): mean ± √(SE² + sensor uncertainty²), n = ${o.answered}${coverage === undefined ? `; sensor coverage ${describeCoverage(o.coverage)}` : `; × coverage factor ${coverage.central} for ${describeCoverage(o.coverage)}`}`,
  );
  const deviceLabel = `offload records (${o.sensors.join(', ')}${deviceMixed ? '; MIXED: measured and estimated' : ''})`;

  const server = o.serverEnergyProvenance;
  const serverMeasured = server === 'rapl' || server === 'nvml';
  const serverLabel = `server ${o.servers.join(', ') || '(no id)'} (${
    serverMeasured
      ? `measured by ${server}`
      : server === 'estimated'
        ? "ESTIMATED by the server's power model"
        : `MIXED: ${counts(o.serverProvenanceCounts)}`
  })`;
  const serverEnergy = normalAround(
    o.serverEnergyJ.mean,
    Math.hypot(o.serverEnergyJ.standardError, o.serverEnergyJ.uncertaintyJ),
    `${from}, server energy ${server === 'mixed' ? `mixed (${counts(o.serverProvenanceCounts)})` : server}`,
    `the server's energy attributed to each request (its batch ÷ batch size), idle share excluded (mean ${o.serverIdleShareJ.mean.toPrecision(3)} J per request, reported apart): mean ± √(SE² + its uncertainty²), n = ${o.answered}`,
  );

  const bytes = (value: { mean: number; standardError: number }, app: number, direction: string) =>
    normalAround(
      value.mean,
      value.standardError,
      `${from}, socket bytes`,
      `bytes ${direction} on the socket per request, TLS and protocol overhead included (application body: ${app.toFixed(0)} B)`,
    );
  const side: OffloadSide = {
    inputBytes: [
      'measured',
      bytes(o.socketBytesSent, o.requestBytes.mean, 'sent'),
      'offload records (socket bytes)',
    ],
    outputBytes: [
      'measured',
      bytes(o.socketBytesReceived, o.responseBytes.mean, 'received'),
      'offload records (socket bytes)',
    ],
    radioPerBit: [
      'measured',
      fixed(
        0,
        from,
        "the radio's energy is inside the device's measured energy per request (network.requestOverheadJ)",
      ),
      deviceLabel,
    ],
    deviceEnergyJ: [
      deviceMixed || o.deviceEnergyProvenance === 'estimated' ? 'store-estimate' : 'measured',
      deviceEnergy,
      deviceLabel,
    ],
    rttS: [
      'measured',
      normalAround(
        o.roundTripS.mean,
        o.roundTripS.standardError,
        from,
        'request written → answer read, device clock: mean ± SE',
      ),
      'offload records (round trip)',
    ],
    serverEnergyJ: [serverMeasured ? 'measured' : 'store-estimate', serverEnergy, serverLabel],
  };
  const region = stated(
    'grid region',
    o.serverRegions,
    GRID_REGIONS,
    'datacenter.region or datacenter.gPerKWh',
    warnings,
  );
  const pue = stated('PUE class', o.serverPueClasses, PUE_CLASSES, 'datacenter.pue', warnings);
  const accuracy = o.accuracy;
  return {
    ...side,
    ...(accuracy === null
      ? {}
      : {
          accuracy: [
            'measured',
            normalAround(
              accuracy.mean,
              accuracy.standardError,
              from,
              `share of ${accuracy.labelled} labelled answered requests whose feedback matched the server's answer ± SE`,
              { min: 1e-9, max: 1 },
            ),
            'offload records (feedback)',
          ] as Candidate,
        }),
    ...(region === undefined ? {} : { serverRegion: region }),
    ...(pue === undefined ? {} : { serverPueClass: pue }),
  };
}
