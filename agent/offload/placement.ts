// Placement inside the agent: where each input runs (the policy, set by flags and the retained
// cmd/placement command), and for an offloaded input the whole turn — the request through the
// offloader, its offload record, the edge fallback — and the answer the caller gets. The agent
// only delegates: it owns the queue, the records' seqs and the edge path, and lends them through
// PlacementHost.

import type { InferenceRecord } from '../../protocol/index.js';
import type { InputSourceKind, LoopInput } from '../inputs/source.js';
import type { Publisher } from '../publish/publisher.js';
import type { PowerSensor } from '../sensors/index.js';
import { answerRows } from './answer.js';
import { OffloadFailedError, type OffloadFigures, offloadFigures } from './figures.js';
import { type OffloadConfig, Offloader, type OffloadIdentity } from './offloader.js';
import type { Decision } from './policy.js';
import type { OffloadRecordDraft } from './record.js';
import { type OffloadTurn, offloadTurn } from './turn.js';

/** Placement without flags: the edge, and the option defaults for a command that offloads. */
const DEFAULT_OFFLOAD: OffloadConfig = { mode: 'edge', timeoutMs: 5000, maxRttMs: 1000 };

/** Experiment fields on records (the agent's RecordTags). */
type Tags = Partial<Pick<InferenceRecord, 'experiment' | 'arm' | 'placement'>>;

export type OffloadDecision = Extract<Decision, { placement: 'offload' }>;

/** What the agent lends placement: the running model, its tags and the device's one seq space. */
export interface PlacementHost {
  /** The model serving now (read inside the caller's turn). */
  runningModel(): { id: string; variant: string };
  sensorLabel(): string;
  /** The deployment's tags of the running model. */
  deploymentTags(): Tags;
  /** The seq the next queued record will get. */
  nextSeq(): number;
  /** Queues an offload record in the device's one seq space; returns its seq. */
  pushOffload(record: OffloadRecordDraft): number;
}

/** What the edge path answers, as far as an offloaded input's answer reads it. */
export interface EdgeAnswerLike {
  seq: number;
  predictedClass: number[];
  output: number[][];
  latencyMs: number;
  energy: { energyJ: number; uncertaintyJ: number; provenance: string };
}

/** agent.infer()'s answer for an input the server answered (the agent's InferAnswer). */
export interface OffloadedAnswer {
  seq: number;
  predictedClass: number[];
  output: number[][];
  latencyMs: number;
  queuedMs: number;
  energy: {
    energyJ: number;
    uncertaintyJ: number;
    aboveIdleJ: number;
    baselineW: number;
    sampleCount: number;
    provenance: OffloadRecordDraft['energyProvenance'];
    sensor: string;
  };
  modelId: string;
  variant: string;
  backend: 'offload';
  placement: 'offload';
  offload: OffloadFigures;
}

/** The experiment and arm of record tags (an offload record's placement is implied). */
function experimentTags(tags: Tags): { experiment?: string; arm?: string } {
  return {
    ...(tags.experiment === undefined ? {} : { experiment: tags.experiment }),
    ...(tags.arm === undefined ? {} : { arm: tags.arm }),
  };
}

export class Placement {
  /** Policy, keep-alive client of the current server, and the cmd/placement subscription. */
  private readonly offloader: Offloader;

  constructor(
    config: OffloadConfig | undefined,
    sensor: PowerSensor,
    identity: OffloadIdentity,
    private readonly host: PlacementHost,
  ) {
    // Always there: a retained cmd/placement command may send inputs away whatever the flags said.
    this.offloader = new Offloader(config ?? DEFAULT_OFFLOAD, sensor, identity);
  }

  /** Obeys the retained cmd/placement command on the publisher's connection. */
  listen(publisher: Publisher): void {
    this.offloader.listen(publisher);
  }

  /** Where the next input runs. */
  decide(): Decision {
    return this.offloader.policy.decide();
  }

  /**
   * Tags of the edge records made now: the deployment's, the placement command's experiment and
   * arm, and while placement is on, `placement: edge`.
   */
  recordTags(deployment: Tags): Tags {
    const policy = this.offloader.policy;
    if (!policy.active) return deployment;
    return { ...deployment, ...policy.tags, placement: 'edge' };
  }

  /**
   * Offloads one input inside a queue turn; on failure with fallback on, runs it on the edge
   * with `runEdge` too. The caller holds the turn.
   */
  offload<E>(
    decision: OffloadDecision,
    input: { values: Float32Array; shape: readonly number[] },
    inputSource: InputSourceKind,
    runEdge: () => Promise<E>,
    /** The input's true class when known: the offload record carries it (accuracy of offloaded answers). */
    label: number | null = null,
  ): Promise<OffloadTurn<E>> {
    const offloader = this.offloader;
    const model = this.host.runningModel();
    return offloadTurn({
      offloader,
      server: decision.server,
      policy: decision.policy,
      values: input.values,
      shape: input.shape,
      context: {
        modelId: model.id,
        variant: model.variant,
        sensor: this.host.sensorLabel(),
        inputSource,
        label,
        tags: { ...experimentTags(this.host.deploymentTags()), ...offloader.policy.tags },
      },
      nextSeq: () => this.host.nextSeq(),
      push: (record) => this.host.pushOffload(record),
      runEdge,
    });
  }

  /** Offloads one input of the agent's loop (the caller holds the turn) and answers it where it asks. */
  async offloadLoopInput(
    decision: OffloadDecision,
    item: LoopInput,
    kind: InputSourceKind,
    runEdge: () => Promise<EdgeAnswerLike>,
  ): Promise<void> {
    const values = Float32Array.from(item.input.dataSync());
    const turn = await this.offload(decision, { values, shape: item.input.shape }, kind, runEdge, item.label);
    if (item.reply === undefined) return;
    const figures = offloadFigures(turn);
    const edge = turn.edge;
    const answer = turn.exchange.answer;
    if (edge !== undefined)
      item.reply({
        seq: edge.seq,
        predictedClass: edge.predictedClass[0] ?? 0,
        output: edge.output[0] ?? [],
        latencyMs: edge.latencyMs,
        energyJ: edge.energy.energyJ,
        energyUncertaintyJ: edge.energy.uncertaintyJ,
        provenance: edge.energy.provenance,
        placement: 'edge',
        offload: figures,
      });
    else if (answer !== undefined)
      item.reply({
        seq: turn.seq,
        predictedClass: answer.classIndex,
        output: answer.prediction,
        latencyMs: figures.roundTripMs,
        energyJ: figures.deviceEnergyJ,
        energyUncertaintyJ: figures.deviceEnergyUncertaintyJ,
        provenance: figures.energyProvenance,
        placement: 'offload',
        offload: figures,
      });
    else item.reply({ seq: turn.seq, error: new OffloadFailedError(figures).message, offload: figures });
  }

  /**
   * Offloads an application's input (agent.infer(); the caller holds the turn) and answers it:
   * the server's answer, or the edge fallback's with the offload's figures, or OffloadFailedError.
   */
  async infer<E extends object>(
    decision: OffloadDecision,
    input: { values: Float32Array; shape: readonly number[] },
    source: InputSourceKind,
    queuedMs: number,
    runEdge: () => Promise<E>,
    /** The true class of the (first) input, when the caller gave it. */
    label: number | null = null,
  ): Promise<(E & { offload: OffloadFigures }) | OffloadedAnswer> {
    const turn = await this.offload(decision, input, source, runEdge, label);
    const figures = offloadFigures(turn);
    if (turn.edge !== undefined) return { ...turn.edge, offload: figures };
    const answer = turn.exchange.answer;
    if (turn.exchange.outcome !== 'ok' || answer === undefined) throw new OffloadFailedError(figures);
    const record = turn.record;
    // Every input's scores, like the edge path (the client refused an answer that lacks some).
    const output = answerRows(answer);
    return {
      seq: turn.seq,
      predictedClass: output.map((row) => row.indexOf(Math.max(...row))),
      output,
      latencyMs: figures.roundTripMs,
      queuedMs,
      energy: {
        energyJ: record.deviceEnergyJ,
        uncertaintyJ: record.deviceEnergyUncertaintyJ,
        aboveIdleJ: record.deviceEnergyJ - (record.deviceBaselineW ?? 0) * (figures.roundTripMs / 1000),
        baselineW: record.deviceBaselineW ?? 0,
        sampleCount: 0,
        provenance: record.energyProvenance,
        sensor: record.sensor,
      },
      modelId: record.modelId,
      variant: record.variant ?? this.host.runningModel().variant,
      backend: 'offload',
      placement: 'offload',
      offload: figures,
    };
  }

  /** Closes the keep-alive connection to the server. */
  close(): void {
    this.offloader.close();
  }
}
