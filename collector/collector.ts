// The collector process: subscribes to every device's inference, offload and status topics at QoS 1 and
// acknowledges a message only after the store has it, so nothing accepted is ever lost.

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerUnreachableError } from '../common/errors.js';
import { logger } from '../common/logger.js';
import { type DeploymentMessage, decodeAs, parseTopic, topicFilter } from '../protocol/index.js';
import { ACK_WINDOW_MESSAGES, AckWindow } from './ack-window.js';
import { Ingest, StoreRetryAbandoned } from './ingest/ingest.js';
import { answerBirth, type SeqAnswerStats } from './seq-answer.js';
import type { RecordStore } from './store/index.js';

const log = logger('collector');

/** How long a placement command waits for the broker's acknowledgement before it is reported. */
export const PUBLISH_ACK_TIMEOUT_MS = 10_000;

export interface CollectorConfig {
  broker: string;
  clientId?: string;
  username?: string;
  password?: string;
  /** MQTT 5 shared-subscription group: collectors of one group split the inference load. */
  sharedGroup?: string;
  /** PEM files for TLS to the broker (mqtts://): CA to trust, client certificate and key. */
  ca?: string;
  cert?: string;
  key?: string;
  /** MQTT 5 session expiry with a fixed client id: how long the broker keeps queuing for us. */
  sessionExpirySeconds?: number;
  /**
   * Members of the shared group this process runs (default 1). MQTT.js handles one message per
   * connection at a time, so several members let the store group many messages into one write.
   */
  connections?: number;
  /**
   * Member n of several logs in as `<username>-n` (memberUsername): for a broker that uses the user
   * name as the client id (deploy/mosquitto.conf), where members of one user would take each
   * other's session.
   */
  usernamePerConnection?: boolean;
  /**
   * Devices' `deployment` status messages (rollouts, experiments): subscribed to when given, and
   * acknowledged once the handler resolves (it stores them).
   */
  onDeployment?: ((fleet: string, message: DeploymentMessage) => void | Promise<void>) | undefined;
  /**
   * Placement commands (`cmd/placement`, retained): subscribed to when given, so the collector knows
   * what each device's topic holds (experiments put it back when they end). An empty payload clears it.
   */
  onPlacementCommand?: ((topic: string, payload: Uint8Array) => void) | undefined;
}

/** The broker user of member `member` of `members`: the collector's own name when it has one connection. */
export function memberUsername(username: string, member: number, members: number): string {
  return members > 1 ? `${username}-${member}` : username;
}

export class Collector {
  readonly ingest: Ingest;
  readonly seqAnswers: SeqAnswerStats = { seqAnswers: 0 };
  private readonly clients: MqttClient[] = [];
  private inProgress = 0;
  private idleWaiters: (() => void)[] = [];
  private stopping = false;
  private readonly filters = new Map<MqttClient, string[]>();
  private lastMessageAtMs = 0;
  /** Messages taken and not handled yet: a status message waits for them (afterEarlierMessages). */
  private readonly unhandled = new Set<Promise<void>>();

  constructor(
    private readonly store: RecordStore,
    private readonly config: CollectorConfig,
  ) {
    this.ingest = new Ingest(store);
  }

  async start(): Promise<void> {
    await this.store.connect();
    const members = this.config.sharedGroup === undefined ? 1 : (this.config.connections ?? 1);
    for (let member = 0; member < members; member++)
      this.clients.push(await this.connectMember(member, members));
    log.info({ broker: this.config.broker, members }, 'collector subscribed');
  }

  private async connectMember(member: number, members: number): Promise<MqttClient> {
    const { sharedGroup, ca, cert, key } = this.config;
    const baseId = this.config.clientId ?? `edgewatt-collector-${process.pid}`;
    // connect() (not connectAsync): the handler must be in place before a resumed session's
    // queued messages arrive, or the library's default handler would acknowledge them unstored.
    const client = mqtt.connect(this.config.broker, {
      clientId: members > 1 ? `${baseId}-${member}` : baseId,
      protocolVersion: sharedGroup === undefined ? 4 : 5,
      clean: this.config.clientId === undefined,
      // MQTT 5: the broker sends at most the messages our ack window holds before acknowledgements.
      ...(sharedGroup === undefined
        ? {}
        : {
            properties: {
              receiveMaximum: ACK_WINDOW_MESSAGES,
              ...(this.config.clientId === undefined
                ? {}
                : { sessionExpiryInterval: this.config.sessionExpirySeconds ?? 7 * 86_400 }),
            },
          }),
      reconnectPeriod: 1000,
      username:
        this.config.usernamePerConnection === true && this.config.username !== undefined
          ? memberUsername(this.config.username, member, members)
          : this.config.username,
      password: this.config.password,
      ...(ca === undefined ? {} : { ca: readFileSync(ca) }),
      ...(cert === undefined ? {} : { cert: readFileSync(cert) }),
      ...(key === undefined ? {} : { key: readFileSync(key) }),
    });
    // ingest.handle() answers for every message (stored, or dead-lettered after bounded store
    // retries), so it is acknowledged; it throws only for a message abandoned at a persistent
    // session's stop, which must stay unacknowledged for the broker to redeliver.
    const acks = new AckWindow(client);
    client.handleMessage = (packet, done) => {
      // Stopping with a persistent session: a message not yet taken stays with the broker, which
      // delivers it again when this client id reconnects (done is never called: no PUBACK).
      if (this.stopping && this.persistent) return;
      this.inProgress++;
      this.lastMessageAtMs = Date.now();
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      const ingest = () => this.ingest.handle(packet.topic, payload);
      const handled = packet.topic.endsWith('/deployment')
        ? this.handleDeployment(packet.topic, payload)
        : packet.topic.endsWith('/cmd/placement')
          ? Promise.resolve(this.config.onPlacementCommand?.(packet.topic, payload))
          : packet.topic.endsWith('/status')
            ? this.afterEarlierMessages(ingest)
            : ingest();
      const settled = handled.then(
        () => undefined,
        () => undefined,
      );
      this.unhandled.add(settled);
      void settled.then(() => this.unhandled.delete(settled));
      const answered = handled
        .then((outcome) => {
          // A device's birth: tell it the highest seq stored for it (seq-answer.ts). Not for the
          // retained births a new subscription brings (every device at once, none of them waiting).
          if (outcome?.kind === 'status' && !packet.retain)
            answerBirth(client, packet.topic, payload, outcome.highestSeq, this.seqAnswers);
        })
        .catch((error: Error) => {
          if (!(error instanceof StoreRetryAbandoned))
            log.error(
              { topic: packet.topic, err: error.message },
              'message handler failed; left unacknowledged',
            );
          throw error;
        });
      // Acknowledged once handled, in arrival order; meanwhile the next messages are taken. Idle
      // only after the PUBACK is written: stop() ends the connection then.
      void acks.take(packet, done, answered).finally(() => {
        this.inProgress--;
        if (this.inProgress === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    };
    await connected(client);
    client.on('error', (error) => log.warn({ err: error.message }, 'mqtt error'));
    client.on('disconnect', (packet) => {
      // MQTT 5 reason 0x8E: another connection came with our client id and the broker gave it our
      // session. With use_username_as_clientid that is another connection under our user name.
      if (packet.reasonCode === 0x8e)
        log.error(
          { member, username: this.config.username },
          'session taken over by another connection with the same client id (with use_username_as_clientid: the same broker user); give each connection its own user (--username-per-connection)',
        );
    });
    // Status stays a plain subscription: brokers send retained messages to no shared subscriber.
    const shared = (filter: string) =>
      sharedGroup === undefined ? filter : `$share/${sharedGroup}/${filter}`;
    const data = [
      shared(topicFilter('inference')),
      shared(topicFilter('offload')),
      shared(topicFilter('feedback')),
    ];
    // Deployment reports go to member 0 only: each device's transitions stay in order.
    const deployment = this.config.onDeployment === undefined ? [] : [topicFilter('deployment')];
    const placement = this.config.onPlacementCommand === undefined ? [] : ['edgewatt/v1/+/+/cmd/placement'];
    const filters = member === 0 ? [...data, topicFilter('status'), ...deployment, ...placement] : data;
    await client.subscribeAsync(filters, { qos: 1 });
    this.filters.set(client, filters);
    return client;
  }

  /**
   * Runs `handle` once every message taken before it is handled. Messages of a connection are
   * handled at the same time (ack-window.ts), but a birth asks the store for the highest seq
   * stored, which must count the device's batches that arrived before it (else a device that lost
   * its counter reuses their seqs), and the last will behind it must not overtake it: a status
   * message waits for every earlier message, statuses included, as when they were handled in turn.
   */
  private afterEarlierMessages<T>(handle: () => Promise<T>): Promise<T> {
    return Promise.allSettled([...this.unhandled]).then(handle);
  }

  /** A device's deployment status message: decoded, checked against its topic, handed on. */
  private async handleDeployment(topic: string, payload: Uint8Array): Promise<void> {
    const address = parseTopic(topic);
    const decoded = decodeAs('deployment', payload);
    if (!address.ok || !decoded.ok || decoded.value.device !== address.value.device) {
      const why = !address.ok
        ? address.error.message
        : !decoded.ok
          ? decoded.error.message
          : 'device differs from the topic';
      log.warn({ topic, err: why }, 'deployment message refused');
      return;
    }
    await this.config.onDeployment?.(address.value.fleet, decoded.value);
  }

  /**
   * Publishes at QoS 1 through the collector's connection (commands such as cmd/model and
   * cmd/placement). While the broker is down MQTT.js queues the message and its promise waits for
   * the broker's acknowledgement. With `ackTimeoutMs` the wait is bounded and reported as the
   * broker unreachable (the message stays queued and goes out when the broker is back): the
   * placement owner uses it so that one operator command cannot hold its queue, and the
   * collector's shutdown, for as long as the broker stays away. Rollouts wait unbounded: a device
   * whose assignment is only queued is not failed.
   */
  async publish(
    topic: string,
    payload: Uint8Array,
    options: { retain: boolean; ackTimeoutMs?: number },
  ): Promise<void> {
    const client = this.clients[0];
    if (client === undefined) throw new Error('collector is not connected');
    const acked = client.publishAsync(topic, Buffer.from(payload), { qos: 1, retain: options.retain });
    const limitMs = options.ackTimeoutMs;
    if (limitMs === undefined) {
      await acked;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new BrokerUnreachableError(
              `the MQTT broker did not acknowledge ${topic} within ${limitMs / 1000} s; the command stays queued in the collector and goes out when the broker is back`,
              {
                hint: 'check that the broker is running and reachable; `edgewatt placement status` shows what each device holds',
              },
            ),
          ),
        limitMs,
      );
    });
    // A late acknowledgement (or failure) after the bound has nobody waiting: swallow it here.
    acked.catch(() => undefined);
    try {
      await Promise.race([acked, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  get stats() {
    return this.ingest.stats;
  }

  /** A fixed client id means a persistent session: the broker keeps what we do not acknowledge. */
  private get persistent(): boolean {
    return this.config.clientId !== undefined;
  }

  /** Resolves once no message is being handled. */
  idle(): Promise<void> {
    if (this.inProgress === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops without losing what the broker handed over. A persistent session: messages in a store
   * retry are left unacknowledged (the broker redelivers them to this client id) and new ones are
   * not taken. A clean session would lose both, so it unsubscribes, then keeps storing what the
   * broker already sent until nothing arrives for a moment; after `drainTimeoutMs` messages still
   * failing are dead-lettered whole and acknowledged.
   */
  async stop(drainTimeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    if (this.persistent) {
      this.ingest.stopRetrying('abandon');
    } else {
      const deadline = Date.now() + drainTimeoutMs;
      const timer = setTimeout(() => this.ingest.stopRetrying('dead-letter'), drainTimeoutMs);
      try {
        await Promise.all(
          this.clients.map((client) => unsubscribeAll(client, this.filters.get(client) ?? [])),
        );
        // Quiet = idle and no message for QUIET_MS: what the broker had queued for us has arrived.
        while (Date.now() < deadline) {
          await this.idle();
          if (Date.now() - this.lastMessageAtMs >= QUIET_MS) break;
          await sleep(QUIET_MS);
        }
      } finally {
        clearTimeout(timer);
      }
    }
    await this.idle();
    await Promise.all(this.clients.splice(0).map((client) => client.endAsync()));
    await this.idle();
    await this.store.close();
  }
}

/** How long without a message counts as "the broker has sent everything it had for us", ms. */
const QUIET_MS = 300;

async function unsubscribeAll(client: MqttClient, filters: string[]): Promise<void> {
  if (!client.connected || filters.length === 0) return;
  try {
    await client.unsubscribeAsync(filters);
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'unsubscribe at stop failed');
  }
}

function connected(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const onConnect = () => {
      client.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      client.off('connect', onConnect);
      client.end();
      reject(error);
    };
    client.once('connect', onConnect);
    client.once('error', onError);
  });
}
