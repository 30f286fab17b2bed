// The deployment's side of the device's one MQTT connection (the agent's publisher): receives the
// retained assignment on `cmd/model` and sends the journal's status messages on `deployment` at
// QoS 1, each removed from the journal only when the broker acknowledged it. After a reconnect
// every unacknowledged message is sent again (the collector drops a repeated (device, seq)), so a
// transition made while the broker was away is delivered when it is back. It has no connection of
// its own: with the shipped broker config (client id = user name) a second connection under the
// device's user would take the publisher's over, and the other way round.

import { logger } from '../../common/logger.js';
import { ASSIGNMENT_COMMAND } from '../../protocol/deploy/index.js';
import { buildTopic, type DeploymentMessage, encodeMessage } from '../../protocol/index.js';
import type { Publisher } from '../publish/publisher.js';

const log = logger('agent.deploy');

export interface LinkOptions {
  /** The agent's publisher: its connection carries assignments and status messages. */
  publisher: Publisher;
  fleet: string;
  device: string;
  /** A retained or new assignment arrived (empty: the assignment was cleared). */
  onAssignment: (payload: Buffer) => void;
  /** The messages still to send, oldest first. */
  pending: () => readonly DeploymentMessage[];
  /** The broker acknowledged this message. */
  acknowledge: (seq: number) => void;
}

export class DeployLink {
  private readonly inFlight = new Set<number>();
  private readonly statusTopic: string;
  private closed = false;

  constructor(private readonly options: LinkOptions) {
    this.statusTopic = buildTopic({ fleet: options.fleet, device: options.device, kind: 'deployment' });
    options.publisher.onCommand(ASSIGNMENT_COMMAND, (payload) => {
      if (!this.closed) this.options.onAssignment(payload);
    });
    options.publisher.onConnected(() => {
      // Whatever was in flight on the old connection is sent again.
      this.inFlight.clear();
      this.flush();
    });
  }

  /** Sends every message not yet in flight (call after the journal's outbox grew). */
  flush(): void {
    if (this.closed || !this.options.publisher.isConnected) return;
    for (const message of this.options.pending()) {
      if (this.inFlight.has(message.seq)) continue;
      this.inFlight.add(message.seq);
      this.options.publisher.publishAcked(this.statusTopic, encodeMessage(message)).then(
        () => {
          this.inFlight.delete(message.seq);
          this.options.acknowledge(message.seq);
        },
        (error: unknown) => {
          this.inFlight.delete(message.seq);
          log.warn(
            { seq: message.seq, err: (error as Error).message },
            'deployment status not acknowledged; sent again on reconnect',
          );
        },
      );
    }
  }

  get connected(): boolean {
    return this.options.publisher.isConnected;
  }

  /** Stops taking assignments and sending; the agent closes the connection itself. */
  async close(): Promise<void> {
    this.closed = true;
  }

  /** As on power loss (the agent's kill drops the connection). */
  kill(): void {
    this.closed = true;
  }
}
