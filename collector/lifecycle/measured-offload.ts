// The offload side from the collector's store: the offload records of one device and model
// (inputs it sent to an inference server) as means ± standard error — the device's energy over
// the request window (its radio and its waiting, by its own sensor), the round trip, the bytes on
// the socket, and the server's energy per request with its provenance (rapl, nvml, or an
// estimate). Only answered requests (outcome ok) describe what an offloaded inference costs; the
// failed ones are counted and reported, not averaged in. With feedback joined (labels.ts), the
// share of labelled answers that were right gives the offload side's accuracy.

import { EdgewattError } from '../../common/errors.js';
import { type MeanEstimate, RunningMean as Running } from '../../common/running-mean.js';
import type { SensorCoverage } from '../../protocol/index.js';
// The store's pieces, not its registry (store/index.ts loads every driver), as measured.ts.
import { describeFilter, type RecordFilter } from '../store/filter.js';
import { type FeedbackReader, readLabelledOffload } from '../store/labels.js';
import type { OffloadReader, StoredOffloadRecord } from '../store/store.js';
import { coverageOfSensors } from './coverage.js';

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

/** An offload record as the accumulator takes it: stored, with `correct` when feedback was joined. */
export type MeasuredOffloadRecord = StoredOffloadRecord & { correct?: boolean | null };

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
  const accumulator = new OffloadAccumulator();
  const read: AsyncIterable<MeasuredOffloadRecord> =
    feedback === undefined ? store.readOffload(filter) : readLabelledOffload(store, feedback, filter);
  for await (const r of read) accumulator.add(r);
  return accumulator.result(describeFilter(filter), filter.device ?? '');
}

/**
 * The figures of measureOffload() over records given one at a time (memory: a few sets of ids),
 * for callers that choose the records themselves (an experiment arm's analysed periods).
 */
export class OffloadAccumulator {
  private readonly fleets = new Set<string>();
  private readonly models = new Set<string>();
  private readonly outcomes: Record<string, number> = {};
  private readonly provenances = new Set<string>();
  private readonly sensors = new Set<string>();
  private readonly serverProvenance: Record<string, number> = {};
  private readonly servers = new Set<string>();
  private readonly regions = new Set<string>();
  private readonly pueClasses = new Set<string>();
  private readonly energy = new Running();
  private readonly aboveIdle = new Running();
  private readonly rtt = new Running();
  private readonly sent = new Running();
  private readonly received = new Running();
  private readonly request = new Running();
  private readonly response = new Running();
  private readonly server = new Running();
  private readonly idleShare = new Running();
  private uncertaintySum = 0;
  private serverUncertaintySum = 0;
  private records = 0;
  private withoutBaseline = 0;
  private labelled = 0;
  private correct = 0;

  add(r: MeasuredOffloadRecord): void {
    this.records++;
    this.outcomes[r.outcome] = (this.outcomes[r.outcome] ?? 0) + 1;
    if (r.outcome !== 'ok' || r.serverEnergyJ === undefined) return;
    this.fleets.add(r.fleet);
    this.models.add(r.modelId);
    this.provenances.add(r.energyProvenance);
    this.sensors.add(r.sensor);
    this.energy.add(r.deviceEnergyJ);
    if (r.deviceBaselineW === undefined) this.withoutBaseline++;
    this.aboveIdle.add(r.deviceEnergyJ - (r.deviceBaselineW ?? 0) * r.roundTripS);
    this.uncertaintySum += r.deviceEnergyUncertaintyJ;
    this.rtt.add(r.roundTripS);
    this.sent.add(r.socketBytesSent);
    this.received.add(r.socketBytesReceived);
    this.request.add(r.requestBytes);
    this.response.add(r.responseBytes);
    this.server.add(r.serverEnergyJ);
    this.serverUncertaintySum += r.serverEnergyUncertaintyJ ?? 0;
    this.idleShare.add(r.serverIdleShareJ ?? 0);
    const provenance = r.serverEnergyProvenance ?? 'estimated';
    this.serverProvenance[provenance] = (this.serverProvenance[provenance] ?? 0) + 1;
    if (r.serverId !== undefined) this.servers.add(r.serverId);
    if (r.serverRegion !== undefined) this.regions.add(r.serverRegion);
    if (r.serverPueClass !== undefined) this.pueClasses.add(r.serverPueClass);
    if (r.correct !== undefined && r.correct !== null) {
      this.labelled++;
      if (r.correct) this.correct++;
    }
  }

  /**
   * The measurement, or null when no request was answered. `where` names the records in errors;
   * `device` is the measurement's device (the filter's, or the boards of an experiment arm).
   */
  result(where: string, device: string): OffloadMeasurement | null {
    const answered = this.energy.n;
    if (answered === 0) return null;
    const { fleets, models } = this;
    if (fleets.size > 1 || models.size > 1) {
      throw new OffloadMeasurementError(
        `device.measured: the offload records of ${where} match ${fleets.size} fleet(s) and ${models.size} model(s) (${[...models].join(', ')}); give device.measured.fleet or a longer model id`,
      );
    }
    const coverage = coverageOfSensors([...this.sensors]);
    if (coverage === 'mixed') {
      throw new OffloadMeasurementError(
        `device.measured: the offload records of ${where} come from sensors that see different parts of the board (${[...this.sensors].join(', ')}); their energies do not average`,
      );
    }
    return {
      fleet: [...fleets][0] as string,
      device,
      modelId: [...models][0] as string,
      records: this.records,
      answered,
      outcomes: { ...this.outcomes },
      deviceEnergyProvenance: agreement(this.provenances),
      sensors: [...this.sensors].sort(),
      coverage,
      deviceEnergyJ: { ...this.energy.estimate(), sensorUncertaintyJ: this.uncertaintySum / answered },
      deviceAboveIdleJ: this.aboveIdle.estimate(),
      withoutBaseline: this.withoutBaseline,
      roundTripS: this.rtt.estimate(),
      socketBytesSent: this.sent.estimate(),
      socketBytesReceived: this.received.estimate(),
      requestBytes: this.request.estimate(),
      responseBytes: this.response.estimate(),
      serverEnergyJ: { ...this.server.estimate(), uncertaintyJ: this.serverUncertaintySum / answered },
      serverIdleShareJ: this.idleShare.estimate(),
      serverEnergyProvenance: agreement(new Set(Object.keys(this.serverProvenance))),
      serverProvenanceCounts: { ...this.serverProvenance },
      servers: [...this.servers].sort(),
      serverRegions: [...this.regions].sort(),
      serverPueClasses: [...this.pueClasses].sort(),
      accuracy: this.labelled > 0 ? shareCorrect(this.correct, this.labelled) : null,
    };
  }
}

/** A binomial share with its standard error. */
function shareCorrect(correct: number, labelled: number): MeanEstimate & { labelled: number } {
  const p = correct / labelled;
  return { mean: p, standardError: Math.sqrt((p * (1 - p)) / labelled), labelled };
}
