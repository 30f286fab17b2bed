// Offloads one input and measures it: the device's energy over the whole request window (from just
// before the request is written to just after the answer is read: the radio's work and the wait)
// by the agent's own sensor, the bytes and round trip from the client, the server's energy from
// its answer. Owns the placement policy, the keep-alive client of the current server, and the
// subscription to the retained cmd/placement command on the publisher's connection.

import { logger } from '../../common/logger.js';
import { decodePlacementCommand, PLACEMENT_COMMAND } from '../../protocol/placement.js';
import type { Publisher } from '../publish/publisher.js';
import type { PowerSensor } from '../sensors/index.js';
import { OffloadClient, type OffloadExchange } from './client.js';
import { PlacementPolicy, type PlacementSettings } from './policy.js';
import type { DeviceEnergy } from './record.js';

const log = logger('agent.offload');

export interface OffloadConfig extends PlacementSettings {
  /** Bearer token this device has on the server. */
  token?: string | undefined;
  /** Longest an offloaded request may take. */
  timeoutMs: number;
  /** PEM text of the CA of the server's certificate (https). */
  ca?: string | undefined;
}

/**
 * Who the device is on the server. Without --offload-token a provisioned device uses its broker
 * credentials: `edgewatt serve --credentials` takes provision-device's password file as it is,
 * where the token is the broker password and the name the broker user (`<fleet>.<device>`). The
 * bare device id would not be found once two fleets have a device of that name.
 */
export interface OffloadIdentity {
  device: string;
  brokerUser?: string | undefined;
  brokerPassword?: string | undefined;
}

/** The token and the `X-Edgewatt-Device` name the client sends. */
export function offloadCredentials(
  token: string | undefined,
  identity: OffloadIdentity,
): { token?: string; device: string } {
  if (token !== undefined) return { token, device: identity.device };
  if (identity.brokerPassword !== undefined)
    return { token: identity.brokerPassword, device: identity.brokerUser ?? identity.device };
  return { device: identity.device };
}

export interface MeasuredExchange {
  exchange: OffloadExchange;
  energy: DeviceEnergy;
}

export class Offloader {
  readonly policy: PlacementPolicy;
  private client: OffloadClient | undefined;

  constructor(
    private readonly config: OffloadConfig,
    private readonly sensor: PowerSensor,
    private readonly identity: OffloadIdentity,
  ) {
    this.policy = new PlacementPolicy(config);
  }

  /** Obeys the retained cmd/placement command, which rides on the publisher's one connection. */
  listen(publisher: Publisher): void {
    publisher.onCommand(PLACEMENT_COMMAND, (payload) => {
      const decoded = decodePlacementCommand(payload);
      if (!decoded.ok) {
        log.warn({ err: decoded.error.message }, 'placement command refused; keeping the current placement');
        return;
      }
      this.policy.apply(decoded.value);
      log.info(
        {
          placement: this.policy.mode,
          server: this.policy.server ?? null,
          ...this.policy.tags,
          reason: decoded.value?.reason,
          basis: decoded.value?.basis,
        },
        decoded.value === null ? 'placement command cleared: flags hold' : 'placement command',
      );
    });
  }

  /** Sends one input to `server` and measures the device over the request window. */
  async send(
    server: string,
    values: Float32Array,
    shape: readonly number[],
    requestId: string,
  ): Promise<MeasuredExchange> {
    const client = this.clientFor(server);
    const cpuBefore = process.cpuUsage();
    const exchange = await client.send(values, shape, requestId);
    const cpu = process.cpuUsage(cpuBefore);
    const energy = await this.sensor.energyOf({
      startNs: exchange.startNs,
      endNs: exchange.endNs,
      cpuUs: cpu.user + cpu.system,
      // The board's estimate must not stretch the network's time by its speed factor.
      waiting: true,
    });
    if (exchange.retriedAfter !== undefined)
      log.info(
        { server, firstAttempt: exchange.retriedAfter, outcome: exchange.outcome },
        'the kept-alive connection failed before any answer; sent once more on a fresh connection',
      );
    if (exchange.outcome !== 'ok')
      log.warn(
        { server, outcome: exchange.outcome, httpStatus: exchange.httpStatus, err: exchange.error },
        'offload failed',
      );
    return {
      exchange,
      energy: {
        energyJ: energy.energyJ,
        uncertaintyJ: energy.uncertaintyJ,
        baselineW: energy.baselineW,
        provenance: energy.provenance,
      },
    };
  }

  /** The keep-alive client of `server` (a command may change the server: the old one is closed). */
  private clientFor(server: string): OffloadClient {
    if (this.client !== undefined && this.client.serverUrl === server) return this.client;
    this.client?.close();
    this.client = new OffloadClient({
      serverUrl: server,
      ...offloadCredentials(this.config.token, this.identity),
      timeoutMs: this.config.timeoutMs,
      ca: this.config.ca,
    });
    return this.client;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
