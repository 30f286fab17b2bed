// Feedback over MQTT (docs/agent-api.md): a label for an answer arrives on the device's own
// `cmd/feedback` topic as the JSON `POST /v1/feedback` takes (`{"seq": 1207, "label": 3}`) and goes
// through the agent's feedback() like the HTTP one — judged against the answer given, and sent
// with the seq its record was stored under. Untrusted bytes: a bad message is logged, never thrown.

import { logger } from '../../common/logger.js';
import type { Publisher } from '../publish/publisher.js';

const log = logger('agent.feedback');

export const FEEDBACK_COMMAND = 'feedback';

export function listenForFeedback(
  publisher: Publisher,
  feedback: (seq: number, label: number) => unknown,
): void {
  publisher.onCommand(FEEDBACK_COMMAND, (payload) => {
    let message: { seq?: unknown; label?: unknown };
    try {
      message = JSON.parse(payload.toString('utf8')) as typeof message;
    } catch {
      log.warn('feedback refused: not JSON');
      return;
    }
    const { seq, label } = message ?? {};
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
      log.warn({ seq }, 'feedback refused: seq must be the seq an answer carried');
      return;
    }
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= 2 ** 31) {
      log.warn({ label }, 'feedback refused: label must be the true class index (an integer ≥ 0)');
      return;
    }
    try {
      feedback(seq, label);
    } catch (error) {
      // An unknown seq (UnknownRecordError): say so, as the API's 404 does.
      log.warn({ seq, err: (error as Error).message }, 'feedback refused');
    }
  });
}
