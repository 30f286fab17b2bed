// The collector's answer to a device's birth (issue 12 item 7): on `cmd/seq`, the highest seq this
// collector has stored for the device, so that a device that lost its counter continues after it
// instead of reusing seqs that would be dropped as duplicates. Retained when known, so a device
// that connects while no collector is up still finds the last answer; an unknown device gets a
// non-retained `null` (the device stops waiting and numbers from its spool).

import type { MqttClient } from 'mqtt';
import { logger } from '../common/logger.js';
import { buildTopic, decodeAs, encodeSeqAnswer, parseTopic, SEQ_COMMAND } from '../protocol/index.js';

const log = logger('collector.seq');

/** Highest seq stored per `fleet/device`, as the ingest keeps it. */
export type HighestSeq = (key: string) => number | undefined;

export interface SeqAnswerStats {
  /** Births answered with cmd/seq. */
  seqAnswers: number;
}

/** Answers an `online` status message with cmd/seq; anything else is left alone. */
export function answerBirth(
  client: MqttClient,
  topic: string,
  payload: Uint8Array,
  highestSeq: HighestSeq,
  stats: SeqAnswerStats,
): void {
  const address = parseTopic(topic);
  if (!address.ok || address.value.kind !== 'status') return;
  const status = decodeAs('status', payload);
  if (!status.ok || status.value.state !== 'online' || status.value.birth === undefined) return;
  const { fleet, device } = address.value;
  const highest = highestSeq(`${fleet}/${device}`) ?? null;
  const answer = encodeSeqAnswer({ v: 1, device, birth: status.value.birth, highestSeq: highest });
  stats.seqAnswers++;
  client.publish(
    buildTopic({ fleet, device, kind: 'cmd', command: SEQ_COMMAND }),
    answer,
    { qos: 1, retain: highest !== null },
    (error) => {
      if (error) log.warn({ device: `${fleet}/${device}`, err: error.message }, 'seq answer not sent');
    },
  );
}
