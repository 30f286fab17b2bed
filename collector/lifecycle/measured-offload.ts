// The offload side from the collector's store: the offload records of one device and model
// (inputs it sent to an inference server) as means ± standard error — the device's energy over
// the request window (its radio and its waiting, by its own sensor), the round trip, the bytes on
// the socket, and the server's energy per request with its provenance (rapl, nvml, or an
// estimate). Only answered requests (outcome ok) describe what an offloaded inference costs; the
// failed ones are counted and reported, not averaged in. With feedback joined (labels.ts), the
// share of labelled answers that were right gives the offload side's accuracy.

import { EdgewattError } from '../../common/errors.js';
import type { SensorCoverage } from '../../protocol/index.js';
// The store's pieces, not its registry (store/index.ts loads every driver), as measured.ts.
import { describeFilter, type RecordFilter } from '../store/filter.js';
import { type FeedbackReader, readLabelledOffload } from '../store/labels.js';
import type { OffloadReader, StoredOffloadRecord } from '../store/store.js';
import { coverageOfSensors } from './coverage.js';
import { type MeanEstimate, RunningMean as Running } from './running-mean.js';

export class OffloadMeasurementError extends EdgewattError {
  override readonly name = 'OffloadMeasurementError';
}

/** `measured` or `estimated` when all records agree, `mixed` when they do not. */
export type Agreement<T extends string> = T | 'mixed';

export interface OffloadMeasurement {
  fleet: string;
  device: string;
  modelId: string;
  /** Every offload record of the device and model, and those answered (outcome ok). */
  records: number;
  answered: number;
  /** Records per outcome (ok, timeout, refused, ...). */
  outcomes: Record<string, number>;
  /** How the device's energy was obtained over the answered requests. */
  deviceEnergyProvenance: Agreement<'measured' | 'estimated'>;
  sensors: string[];
  coverage: SensorCoverage | 'unknown';
  /** Gross device energy over the request window, and its mean per-record sensor uncertainty. */
  deviceEnergyJ: MeanEstimate & { sensorUncertaintyJ: number };
  /** deviceEnergyJ − deviceBaselineW × roundTripS (records without a baseline count it as 0). */
  deviceAboveIdleJ: MeanEstimate;
  /** Answered records that had no deviceBaselineW. */
  withoutBaseline: number;
  roundTripS: MeanEstimate;
  /** Bytes on the TCP socket (headers, TLS, protocol overhead) and at the application layer. */
  socketBytesSent: MeanEstimate;
  socketBytesReceived: MeanEstimate;
  requestBytes: MeanEstimate;
  responseBytes: MeanEstimate;
  /** The server's energy attributed to each request, idle share excluded, and its mean uncertainty. */
  serverEnergyJ: MeanEstimate & { uncertaintyJ: number };
  serverIdleShareJ: MeanEstimate;
  /** Where the server's energy came from: rapl, nvml, estimated, or mixed (with the counts). */
  serverEnergyProvenance: Agreement<'rapl' | 'nvml' | 'estimated'>;
  serverProvenanceCounts: Record<string, number>;
  servers: string[];
  /** Grid regions and PUE classes the servers stated (their config). */
  serverRegions: string[];
  serverPueClasses: string[];
  /**
   * Share of the answered requests whose label (feedback for their seq) matched the server's
   * answer, ± SE; null when none is labelled or no feedback was read.
   */
  accuracy: (MeanEstimate & { labelled: number }) | null;
}

const agreement = <T extends string>(values: Set<string>): Agreement<T> =>
  values.size === 1 ? ([...values][0] as T) : 'mixed';

/**
 * Reads one device/model's offload records; null when the store has none answered for it (then
 * the offload side stays a model). The store applies the filter (fleet, device, model, time...).
 */
export async function measureOffload(
  store: OffloadReader,
  filter: RecordFilter,
  /** Where feedback is read (the same store's records); without it, accuracy is null. */
  feedback?: FeedbackReader,
): Promise<OffloadMeasurement | null> {
  const fleets = new Set<string>();
  const models = new Set<string>();
  const outcomes: Record<string, number> = {};
  const provenances = new Set<string>();
  const sensors = new Set<string>();
  const serverProvenance: Record<string, number> = {};
  const servers = new Set<string>();
  const regions = new Set<string>();
  const pueClasses = new Set<string>();
  const [energy, aboveIdle, rtt, sent, received, request, response, server, idleShare] = Array.from(
    { length: 9 },
    () => new Running(),
  ) as [Running, Running, Running, Running, Running, Running, Running, Running, Running];
  let uncertaintySum = 0;
  let serverUncertaintySum = 0;
  let records = 0;
  let withoutBaseline = 0;
  let labelled = 0;
  let correct = 0;
  const read: AsyncIterable<StoredOffloadRecord & { correct?: boolean | null }> =
    feedback === undefined ? store.readOffload(filter) : readLabelledOffload(store, feedback, filter);
  for await (const r of read) {
    records++;
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    if (r.outcome !== 'ok' || r.serverEnergyJ === undefined) continue;
    fleets.add(r.fleet);
    models.add(r.modelId);
    provenances.add(r.energyProvenance);
    sensors.add(r.sensor);
    energy.add(r.deviceEnergyJ);
    if (r.deviceBaselineW === undefined) withoutBaseline++;
    aboveIdle.add(r.deviceEnergyJ - (r.deviceBaselineW ?? 0) * r.roundTripS);
    uncertaintySum += r.deviceEnergyUncertaintyJ;
    rtt.add(r.roundTripS);
    sent.add(r.socketBytesSent);
    received.add(r.socketBytesReceived);
    request.add(r.requestBytes);
    response.add(r.responseBytes);
    server.add(r.serverEnergyJ);
    serverUncertaintySum += r.serverEnergyUncertaintyJ ?? 0;
    idleShare.add(r.serverIdleShareJ ?? 0);
    const provenance = r.serverEnergyProvenance ?? 'estimated';
    serverProvenance[provenance] = (serverProvenance[provenance] ?? 0) + 1;
    if (r.serverId !== undefined) servers.add(r.serverId);
    if (r.serverRegion !== undefined) regions.add(r.serverRegion);
    if (r.serverPueClass !== undefined) pueClasses.add(r.serverPueClass);
    if (r.correct !== undefined && r.correct !== null) {
      labelled++;
      if (r.correct) correct++;
    }
  }
  const answered = energy.n;
  if (answered === 0) return null;
  if (fleets.size > 1 || models.size > 1) {
    throw new OffloadMeasurementError(
      `device.measured: the offload records of ${describeFilter(filter)} match ${fleets.size} fleet(s) and ${models.size} model(s) (${[...models].join(', ')}); give device.measured.fleet or a longer model id`,
    );
  }
  const coverage = coverageOfSensors([...sensors]);
  if (coverage === 'mixed') {
    throw new OffloadMeasurementError(
      `device.measured: the offload records of ${describeFilter(filter)} come from sensors that see different parts of the board (${[...sensors].join(', ')}); their energies do not average`,
    );
  }
  return {
    fleet: [...fleets][0] as string,
    device: filter.device ?? '',
    modelId: [...models][0] as string,
    records,
    answered,
    outcomes,
    deviceEnergyProvenance: agreement(provenances),
    sensors: [...sensors].sort(),
    coverage,
    deviceEnergyJ: { ...energy.estimate(), sensorUncertaintyJ: uncertaintySum / answered },
    deviceAboveIdleJ: aboveIdle.estimate(),
    withoutBaseline,
    roundTripS: rtt.estimate(),
    socketBytesSent: sent.estimate(),
    socketBytesReceived: received.estimate(),
    requestBytes: request.estimate(),
    responseBytes: response.estimate(),
    serverEnergyJ: { ...server.estimate(), uncertaintyJ: serverUncertaintySum / answered },
    serverIdleShareJ: idleShare.estimate(),
    serverEnergyProvenance: agreement(new Set(Object.keys(serverProvenance))),
    serverProvenanceCounts: serverProvenance,
    servers: [...servers].sort(),
    serverRegions: [...regions].sort(),
    serverPueClasses: [...pueClasses].sort(),
    accuracy: labelled > 0 ? shareCorrect(correct, labelled) : null,
  };
}

/** A binomial share with its standard error. */
function shareCorrect(correct: number, labelled: number): MeanEstimate & { labelled: number } {
  const p = correct / labelled;
  return { mean: p, standardError: Math.sqrt((p * (1 - p)) / labelled), labelled };
}
