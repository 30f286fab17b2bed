// What a running agent says about itself on request (`GET /v1/status`, SIGUSR2): model, backend,
// inferences, energy per inference so far with a 95 % interval, queue and spool depth. The
// interval is over windows, the independent measurements (a batched window's inferences share
// one energy), by Welford's running mean and variance.

import { RunningMean } from '../../common/running-mean.js';

export interface EnergySoFar {
  windows: number;
  inferences: number;
  /** Mean energy per inference, J (NaN before the first window). */
  meanJ: number;
  /** Half-width of the 95 % interval of meanJ, J (NaN with fewer than two windows). */
  halfWidth95J: number;
}

export class EnergyTally {
  private readonly perInferenceJ = new RunningMean();
  inferences = 0;

  addWindow(perInferenceJ: number, inferences: number): void {
    this.perInferenceJ.add(perInferenceJ);
    this.inferences += inferences;
  }

  get soFar(): EnergySoFar {
    const { n, mean, m2 } = this.perInferenceJ;
    const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : Number.NaN;
    return {
      windows: n,
      inferences: this.inferences,
      meanJ: n > 0 ? mean : Number.NaN,
      halfWidth95J: (1.96 * sd) / Math.sqrt(n),
    };
  }
}

export interface AgentStatus {
  device: string;
  modelId: string;
  variant: string;
  backend: string;
  sensor: string;
  provenance: string | null;
  inputSource: string | null;
  inferences: number;
  /** Inputs sent to the inference server (placement), each with its offload record. */
  offloads: number;
  energy: EnergySoFar;
  queueDepth: number;
  /** Requests run, refused (queue full) and abandoned (caller gone while waiting). */
  queue: { ran: number; refused: number; abandoned: number };
  spool: { pendingBatches: number; pendingRecords: number };
  uptimeS: number;
}

const mJ = (j: number) => (j * 1000).toFixed(3);

/** Three lines a person reads at a glance. */
export function statusText(s: AgentStatus): string {
  const { meanJ, halfWidth95J, windows } = s.energy;
  const energy = Number.isNaN(meanJ)
    ? 'no inference yet'
    : Number.isNaN(halfWidth95J)
      ? `${mJ(meanJ)} mJ per inference (one window: no interval yet)`
      : `${mJ(meanJ)} ± ${mJ(halfWidth95J)} mJ per inference (95 %, ${windows} windows)`;
  return [
    `edgewatt agent ${s.device}: model ${s.variant} (${s.modelId.slice(0, 12)}) on ${s.backend}, sensor ${s.sensor}${s.provenance === 'estimated' ? ' (an estimate)' : ''}`,
    `${s.inferences} inferences${s.offloads > 0 ? ` (and ${s.offloads} offloaded)` : ''}${s.inputSource === null ? '' : ` (loop inputs: ${s.inputSource})`}, ${energy}`,
    `queue ${s.queueDepth}, spool ${s.spool.pendingRecords} records in ${s.spool.pendingBatches} batches not yet acknowledged, up ${Math.round(s.uptimeS)} s`,
  ].join('\n');
}
