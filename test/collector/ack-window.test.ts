// The collector's ack window (collector/ack-window.ts) on a real MQTT.js client and the embedded
// broker: a connection hands over several messages before any is acknowledged (MQTT.js alone hands
// over one), at most the window; PUBACKs leave in arrival order, each only after its message is
// handled; a message whose handling fails is never acknowledged.

import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AckWindow } from '../../collector/ack-window.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { waitFor } from '../support/stack.js';

interface Gate {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function gate(): Gate {
  let resolve: () => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejected gate is handled by the window; keep Node from calling it unhandled meanwhile.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

let broker: EmbeddedBroker;
let sub: MqttClient;
let pub: MqttClient;
/** Payloads of the messages the subscriber took, in order, and their gates. */
const taken: string[] = [];
const gates = new Map<string, Gate>();
/** Payloads whose PUBACK the subscriber wrote to its socket, in order. */
const acked: string[] = [];
let subscriberBytes = 0;

const WINDOW = 3;
/** Bytes of one PUBLISH of topic `t` and a 2-byte payload at QoS 1 (MQTT 3.1.1). */
const PUBLISH_BYTES = 2 + (2 + 1) + 2 + 2;

beforeEach(async () => {
  taken.length = 0;
  acked.length = 0;
  gates.clear();
  subscriberBytes = 0;
  broker = await startEmbeddedBroker();
  sub = mqtt.connect(broker.url, { clientId: 'sub', clean: true });
  const window = new AckWindow(sub, WINDOW);
  const names = new Map<number | undefined, string>();
  // MQTT.js emits packetsend as it writes a packet to the socket.
  sub.on('packetsend', (packet) => {
    if (packet.cmd === 'puback') acked.push(names.get(packet.messageId) ?? '?');
  });
  sub.handleMessage = (packet, done) => {
    const name = String(packet.payload);
    names.set(packet.messageId, name);
    const g = gate();
    taken.push(name);
    gates.set(name, g);
    void window.take(packet, done, g.promise);
  };
  await new Promise<void>((resolve) => sub.once('connect', () => resolve()));
  await sub.subscribeAsync('t', { qos: 1 });
  sub.stream.on('data', (chunk: Buffer) => {
    subscriberBytes += chunk.length;
  });
  pub = await mqtt.connectAsync(broker.url, { clientId: 'pub' });
});

afterEach(async () => {
  for (const g of gates.values()) g.resolve();
  await pub.endAsync();
  await sub.endAsync(true);
  await broker.close();
});

/** Publishes m0..m(n-1) at QoS 1 and waits until the subscriber's socket has received them all. */
async function publishAll(n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => pub.publishAsync('t', `m${i}`, { qos: 1 })));
  await waitFor('publishes at the subscriber', () => subscriberBytes >= n * PUBLISH_BYTES);
  // MQTT.js takes parsed packets one per tick: let it take all it may.
  await new Promise((resolve) => setImmediate(resolve));
}

it('takes up to the window before any message is handled, and no more', async () => {
  await publishAll(5);
  expect(taken).toEqual(['m0', 'm1', 'm2']);
  expect(acked).toEqual([]);
  gates.get('m0')?.resolve();
  await waitFor('m0 acknowledged', () => acked.length === 1);
  await waitFor('m3 taken once there is room', () => taken.length === 4);
  await new Promise((resolve) => setImmediate(resolve));
  expect(acked).toEqual(['m0']);
  expect(taken).toEqual(['m0', 'm1', 'm2', 'm3']);
});

it('acknowledges in arrival order, each only after its message is handled', async () => {
  await publishAll(3);
  expect(taken).toEqual(['m0', 'm1', 'm2']);
  gates.get('m2')?.resolve();
  gates.get('m1')?.resolve();
  // m1 and m2 are handled but m0 is not: nothing may be acknowledged yet. m0's acknowledgement is
  // the barrier: the others, had they gone out early, would be ahead of it.
  gates.get('m0')?.resolve();
  await waitFor('all acknowledged', () => acked.length === 3);
  expect(acked).toEqual(['m0', 'm1', 'm2']);
});

it('never acknowledges a message whose handling failed, and acknowledges the ones after it', async () => {
  await publishAll(3);
  gates.get('m0')?.resolve();
  gates.get('m1')?.reject(new Error('store down'));
  gates.get('m2')?.resolve();
  await waitFor('m2 acknowledged', () => acked.includes('m2'));
  expect(acked).toEqual(['m0', 'm2']);
});
