// The collector's answer to a device's birth (issue 12 item 7): on `cmd/seq`, the highest seq
// stored for the device, read from the store (Ingest.highestSeq), so that a device that lost its
// counter continues after it instead of reusing seqs that would be dropped as duplicates — also
// when the collector restarted since the device last sent. Retained when known, so a device that
// connects while no collector is up still finds the last answer; a device with nothing stored gets
// a non-retained `null` (it stops waiting and numbers from its spool). When the store cannot say,
// nothing is sent: the device waits its timeout, as with no collector.

import type { MqttClient } from 'mqtt';
import { logger } from '../common/logger.js';
import { buildTopic, decodeAs, encodeSeqAnswer, parseTopic, SEQ_COMMAND } from '../protocol/index.js';

const log = logger('collector.seq');

export interface SeqAnswerStats {
  /** Births answered with cmd/seq. */
  seqAnswers: number;
}

/**
 * Answers an `online` status message with cmd/seq; anything else is left alone. `highest`: what
 * ingest found stored for the device (null: none; undefined: the store could not say, no answer).
 */
export function answerBirth(
  client: MqttClient,
  topic: string,
  payload: Uint8Array,
  highest: number | null | undefined,
  stats: SeqAnswerStats,
): void {
  if (highest === undefined) return;
  const address = parseTopic(topic);
  if (!address.ok || address.value.kind !== 'status') return;
  const status = decodeAs('status', payload);
  if (!status.ok || status.value.state !== 'online' || status.value.birth === undefined) return;
  const { fleet, device } = address.value;
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
