// The collector's ack window (collector/ack-window.ts) across a reconnect: a PUBACK held for a
// message taken on a connection that has since dropped must never be written on the next one.
// Packet ids are per connection: there it could acknowledge another message, one not handled yet,
// which the broker would then forget (lost if the collector stops before handling it). The old
// message needs no PUBACK: a clean session's broker forgot it with the connection, a persistent
// one delivers it again. Real MQTT.js client and the embedded broker.

import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AckWindow } from '../../collector/ack-window.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { waitFor } from '../support/stack.js';

let broker: EmbeddedBroker;
let sub: MqttClient;
let pub: MqttClient;
let connection = 0;
const taken: string[] = [];
const release = new Map<string, () => void>();
/** PUBACKs the subscriber wrote to its socket: `<connection>:<id>`. */
const acked: string[] = [];
/** `<connection>:<id>` of each message taken, by payload. */
const idOf = new Map<string, string>();

beforeEach(async () => {
  connection = 0;
  taken.length = 0;
  acked.length = 0;
  release.clear();
  idOf.clear();
  broker = await startEmbeddedBroker();
  sub = mqtt.connect(broker.url, { clientId: 'sub', clean: true, reconnectPeriod: 50 });
  const window = new AckWindow(sub, 3);
  sub.on('connect', () => {
    connection++;
  });
  sub.on('packetsend', (packet) => {
    if (packet.cmd === 'puback') acked.push(`${connection}:${packet.messageId}`);
  });
  sub.handleMessage = (packet, done) => {
    const name = String(packet.payload);
    taken.push(name);
    idOf.set(name, `${connection}:${packet.messageId}`);
    const handled = new Promise<void>((resolve) => release.set(name, resolve));
    void window.take(packet, done, handled);
  };
  await new Promise<void>((resolve) => sub.once('connect', () => resolve()));
  await sub.subscribeAsync('t', { qos: 1 });
  pub = await mqtt.connectAsync(broker.url, { clientId: 'pub' });
});

afterEach(async () => {
  for (const resolve of release.values()) resolve();
  await pub.endAsync();
  await sub.endAsync(true);
  await broker.close();
});

it('drops the PUBACK of a message taken on a connection that dropped, instead of writing it on the next', async () => {
  await pub.publishAsync('t', 'old', { qos: 1 });
  await waitFor('old taken', () => taken.includes('old'));
  // The connection drops while `old` is being handled; MQTT.js connects again.
  sub.stream.destroy();
  await waitFor('reconnected', () => connection === 2 && sub.connected);
  await sub.subscribeAsync('t', { qos: 1 });
  await pub.publishAsync('t', 'new', { qos: 1 });
  await waitFor('new taken', () => taken.includes('new'));
  // `old` is handled now: its connection is gone, so nothing is written for it.
  release.get('old')?.();
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(acked).toEqual([]);
  // `new` is acknowledged once handled, on its own connection, with its own id.
  release.get('new')?.();
  await waitFor('new acknowledged', () => acked.length === 1);
  expect(acked).toEqual([idOf.get('new')]);
});
