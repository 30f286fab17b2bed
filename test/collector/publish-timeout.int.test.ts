// A command the collector publishes (cmd/placement, cmd/model) while the broker is down is reported
// after a bound instead of holding its caller until the broker returns (review finding: the
// placement owner's one-at-a-time queue and the collector's shutdown waited on it), and it still
// goes out, retained, once the broker is back.

import mqtt from 'mqtt';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Collector } from '../../collector/collector.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { isEdgewattError } from '../../common/errors.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

describeWith(['mosquitto'], 'a command published while the broker is down', () => {
  let dir: ReturnType<typeof tempDir>;
  let broker: Mosquitto;
  let collector: Collector | undefined;

  beforeEach(async () => {
    dir = tempDir('edgewatt-publish-timeout-');
    broker = await startMosquitto({ persistence: true });
  });
  afterEach(async () => {
    await collector?.stop(1000).catch(() => undefined);
    await broker.remove();
    dir.remove();
  });

  it('is reported as the broker unreachable within the bound, and delivered retained when the broker is back', async () => {
    collector = new Collector(new SqliteStore(`${dir.path}/c.sqlite`), {
      broker: broker.url,
    });
    await collector.start();
    await collector.publish('edgewatt/v1/lab/d1/cmd/placement', Buffer.from('{"up":1}'), { retain: true });

    await broker.stop();
    const t0 = performance.now();
    const error = await collector
      .publish('edgewatt/v1/lab/d1/cmd/placement', Buffer.from('{"down":1}'), {
        retain: true,
        ackTimeoutMs: 500,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const waitedMs = performance.now() - t0;
    expect(isEdgewattError(error) && error.name).toBe('BrokerUnreachableError');
    expect(String((error as Error).message)).toContain('edgewatt/v1/lab/d1/cmd/placement');
    expect(waitedMs).toBeGreaterThanOrEqual(450);
    expect(waitedMs).toBeLessThan(5_000);

    await broker.start();
    const reader = await mqtt.connectAsync(broker.url, { clientId: 'reader' });
    try {
      const got = await new Promise<string>((resolve) => {
        reader.on('message', (_topic, payload) => {
          if (payload.toString() === '{"down":1}') resolve(payload.toString());
        });
        void reader.subscribeAsync('edgewatt/v1/lab/d1/cmd/placement', { qos: 1 });
      });
      expect(got).toBe('{"down":1}');
    } finally {
      await reader.endAsync();
    }
  }, 30_000);
});
