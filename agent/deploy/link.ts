// The deployment's own MQTT connection: receives the device's retained assignment on
// `cmd/model` and sends the journal's status messages on `deployment` at QoS 1, each removed from
// the journal only when the broker acknowledged it. After a reconnect every unacknowledged message
// is sent again (the collector drops a repeated (device, seq)), so a transition made while the
// broker was away is delivered when it is back.

import mqtt, { type MqttClient } from 'mqtt';
import { logger } from '../../common/logger.js';
import { ASSIGNMENT_COMMAND } from '../../protocol/deploy/index.js';
import { buildTopic, type DeploymentMessage, encodeMessage } from '../../protocol/index.js';

const log = logger('agent.deploy');

export interface LinkOptions {
  brokerUrl: string;
  fleet: string;
  device: string;
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string };
  /** A retained or new assignment arrived (empty: the assignment was cleared). */
  onAssignment: (payload: Buffer) => void;
  /** The messages still to send, oldest first. */
  pending: () => readonly DeploymentMessage[];
  /** The broker acknowledged this message. */
  acknowledge: (seq: number) => void;
  reconnectPeriodMs?: number;
}

export class DeployLink {
  private readonly client: MqttClient;
  private readonly inFlight = new Set<number>();
  private readonly assignmentTopic: string;
  private readonly statusTopic: string;

  constructor(private readonly options: LinkOptions) {
    this.assignmentTopic = buildTopic({
      fleet: options.fleet,
      device: options.device,
      kind: 'cmd',
      command: ASSIGNMENT_COMMAND,
    });
    this.statusTopic = buildTopic({ fleet: options.fleet, device: options.device, kind: 'deployment' });
    // MQTT 3.1.1: what both the embedded broker and Mosquitto speak; a separate client id from the
    // publisher's, so that neither connection takes the other over.
    this.client = mqtt.connect(options.brokerUrl, {
      clientId: `edgewatt-agent-${options.fleet}-${options.device}-deploy`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: options.reconnectPeriodMs ?? 2_000,
      connectTimeout: 10_000,
      username: options.username,
      password: options.password,
      ...options.tls,
    });
    this.client.on('connect', () => {
      this.inFlight.clear();
      this.client.subscribe(this.assignmentTopic, { qos: 1 }, (error) => {
        if (error)
          log.warn({ err: error.message, topic: this.assignmentTopic }, 'cannot subscribe to assignments');
      });
      this.flush();
    });
    this.client.on('message', (topic, payload) => {
      if (topic === this.assignmentTopic) this.options.onAssignment(payload);
    });
    this.client.on('close', () => this.inFlight.clear());
    this.client.on('error', (error) => log.warn({ err: error.message }, 'deployment link error'));
  }

  /** Sends every message not yet in flight (call after the journal's outbox grew). */
  flush(): void {
    if (!this.client.connected) return;
    for (const message of this.options.pending()) {
      if (this.inFlight.has(message.seq)) continue;
      this.inFlight.add(message.seq);
      this.client.publish(this.statusTopic, Buffer.from(encodeMessage(message)), { qos: 1 }, (error) => {
        this.inFlight.delete(message.seq);
        if (error) {
          log.warn(
            { seq: message.seq, err: error.message },
            'deployment status not acknowledged; sent again on reconnect',
          );
          return;
        }
        this.options.acknowledge(message.seq);
      });
    }
  }

  get connected(): boolean {
    return this.client.connected;
  }

  async close(): Promise<void> {
    await this.client.endAsync(false).catch(() => undefined);
  }

  /** As on power loss: drop the connection without a goodbye. */
  kill(): void {
    this.client.stream?.destroy();
    this.client.end(true);
  }
}
