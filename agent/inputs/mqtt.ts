// `--inputs mqtt`: inputs arrive as JSON on the device's own `cmd/infer` topic
// (`{ "id": "…", "input": [[…]], "label": 3 }`, id and label optional) and each answer goes back
// on its `answer` topic with the same id. Bad inputs are answered with the error, never run.
// Inputs wait in a bounded queue; past it the oldest is dropped and answered as dropped.

import { logger } from '../../common/logger.js';
import { answerTopic } from '../../protocol/index.js';
import { decodeJsonInput } from '../../runtime/decode.js';
import type { InputSource, InputSourceFactory, LoopInput } from './source.js';

const log = logger('inputs.mqtt');
export const MAX_MQTT_WAITING = 256;

export const mqttSource: InputSourceFactory = async ({ tf, inputShape, publisher, fleet, device }) => {
  const topic = answerTopic(fleet, device);
  const answer = (body: object) =>
    publisher.publishSide(topic, new TextEncoder().encode(JSON.stringify(body)));
  const waiting: LoopInput[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  publisher.onCommand('infer', (payload) => {
    let id: unknown;
    try {
      const message = JSON.parse(payload.toString('utf8')) as {
        id?: unknown;
        input?: unknown;
        label?: unknown;
      };
      id = message.id;
      const decoded = decodeJsonInput(message.input, inputShape);
      const label =
        typeof message.label === 'number' && Number.isInteger(message.label) ? message.label : null;
      const input = tf.tensor(decoded.values, [decoded.count, ...inputShape]);
      waiting.push({ input, label, owned: true, reply: (a) => answer({ id: id ?? null, ...a }) });
      if (waiting.length > MAX_MQTT_WAITING) {
        const dropped = waiting.shift();
        dropped?.input.dispose();
        log.warn({ waiting: waiting.length }, 'mqtt input queue full; oldest input dropped');
      }
      wake?.();
    } catch (error) {
      answer({ id: id ?? null, error: (error as Error).message });
    }
  });
  const source: InputSource = {
    kind: 'mqtt',
    windowLimit: 1,
    async ready(signal) {
      while (waiting.length === 0 && !signal.aborted && !closed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        wake = undefined;
      }
      return waiting.length > 0 && !signal.aborted;
    },
    next() {
      const item = waiting.shift();
      if (item === undefined) throw new Error('no mqtt input is waiting');
      return item;
    },
    close() {
      closed = true;
      for (const item of waiting.splice(0)) item.input.dispose();
      wake?.();
    },
  };
  return source;
};
