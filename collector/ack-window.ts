// Lets one MQTT.js connection hand the collector many QoS 1 messages at once. MQTT.js takes a
// connection's next message only after the previous one's PUBACK is sent, so every message waited
// for its own spool sync (a sync carried one message per connection; bench:ingest) and every
// PUBACK was its own socket write. Here a message's PUBACK is held until it is handled (durable)
// while the next message is taken at once; PUBACKs leave in the order their messages arrived
// (MQTT 3.1.1 and 5, §4.6), and those that come due in one turn share one socket write
// (mqtt-packet corks the socket until the next tick). At most `maxInFlight` messages wait.

import type { IPublishPacket, MqttClient, Packet } from 'mqtt';
import { EdgewattError } from '../common/errors.js';

/** Messages of one connection taken and not yet acknowledged, at most (also advertised as MQTT 5 Receive Maximum). */
export const ACK_WINDOW_MESSAGES = 100;

type SendPacket = (packet: Packet, cb?: (error?: Error) => void, ...rest: unknown[]) => void;

/** MQTT.js's own callback for a taken message: it sends the PUBACK, then takes the next message. */
type TakeNext = (error?: Error) => void;

interface Taken {
  /** The PUBACK MQTT.js built for this message, held until the message is handled. */
  ack: Packet | undefined;
  /** MQTT.js's callback, still to be called when the window was full at arrival. */
  takeNext: TakeNext | undefined;
  settled: boolean;
  ok: boolean;
  /** The connection it came on: its PUBACK is for that connection only (packet ids are per connection). */
  stream: MqttClient['stream'];
}

export class AckWindowUnsupportedError extends EdgewattError {
  override readonly name = 'AckWindowUnsupportedError';
}

export class AckWindow {
  private readonly queue: Taken[] = [];
  private readonly send: SendPacket;
  /** The message whose PUBACK MQTT.js is about to send (synchronously, inside its callback). */
  private capturing: Taken | undefined;

  constructor(
    private readonly client: MqttClient,
    private readonly maxInFlight = ACK_WINDOW_MESSAGES,
  ) {
    // _sendPacket is MQTT.js's one door to the socket (5.x, private): every PUBACK goes through it.
    const internals = client as unknown as { _sendPacket?: SendPacket };
    const original = internals._sendPacket;
    if (typeof original !== 'function')
      throw new AckWindowUnsupportedError('this MQTT.js has no _sendPacket; the collector needs mqtt 5.x', {
        hint: 'install the mqtt version package.json names (npm ci)',
      });
    this.send = original.bind(client);
    internals._sendPacket = (packet, cb, ...rest) => {
      const taken = this.capturing;
      if (taken !== undefined && packet.cmd === 'puback') {
        // Held, not sent: MQTT.js may take the next message now.
        this.capturing = undefined;
        taken.ack = packet;
        cb?.();
        return;
      }
      this.send(packet, cb, ...rest);
    };
  }

  /** Messages taken and not yet acknowledged (or dropped). */
  get size(): number {
    return this.queue.length;
  }

  /**
   * Takes a message: `handled` settles when it is handled. Fulfilled: its PUBACK is sent once every
   * earlier message's is. Rejected: no PUBACK (the broker delivers it again). MQTT.js is told to
   * take the next message at once, unless `maxInFlight` messages already wait. The returned
   * promise (never rejected) resolves once the message is settled here: its PUBACK is written, or
   * waits only for an earlier message's.
   */
  take(packet: IPublishPacket, takeNext: TakeNext, handled: Promise<unknown>): Promise<void> {
    if (packet.qos !== 1) {
      // QoS 0 has no PUBACK; QoS 2 is never subscribed to. MQTT.js's own flow.
      return handled.then(
        () => takeNext(),
        (error: Error) => takeNext(error),
      );
    }
    const taken: Taken = { ack: undefined, takeNext, settled: false, ok: false, stream: this.client.stream };
    this.queue.push(taken);
    if (this.queue.length < this.maxInFlight) this.release(taken);
    return handled.then(
      () => this.settle(taken, true),
      () => this.settle(taken, false),
    );
  }

  private release(taken: Taken): void {
    const takeNext = taken.takeNext;
    if (takeNext === undefined) return;
    taken.takeNext = undefined;
    this.capturing = taken;
    try {
      takeNext();
    } finally {
      this.capturing = undefined;
    }
  }

  private settle(taken: Taken, ok: boolean): void {
    taken.settled = true;
    taken.ok = ok;
    // Every settled message at the head is acknowledged now, in order, in this one turn.
    for (;;) {
      const head = this.queue[0];
      if (head === undefined || !head.settled) break;
      this.release(head);
      this.queue.shift();
      // Only on the connection the message came on: on another, its packet id may name another
      // message, not handled yet. Dropped, it is delivered again (persistent session) or was
      // forgotten with its connection (clean session).
      if (head.ok && head.ack !== undefined && this.client.connected && this.client.stream === head.stream)
        this.send(head.ack);
    }
    // Room again: MQTT.js may take the next message (only the newest can be waiting for room).
    const newest = this.queue.at(-1);
    if (newest !== undefined && this.queue.length < this.maxInFlight) this.release(newest);
  }
}
