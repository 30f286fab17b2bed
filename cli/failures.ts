// Turns the raw errors of known failures into one-line EdgewattErrors that name the endpoint and
// the flag to check: a broker or InfluxDB that does not answer, a broker that refuses the
// credentials, an address to listen on that is taken. The endpoints are the options marked `endpoint` in the command's schema, noted by
// cli/config.ts when the command's configuration is resolved.

import {
  BrokerAuthError,
  BrokerUnreachableError,
  isEdgewattError,
  isSystemError,
  ListenError,
  StoreUnreachableError,
  type SystemError,
} from '../common/errors.js';

export interface Endpoint {
  kind: 'broker' | 'store' | 'listen';
  /** The URL as given (mqtt://host:1883, influxdb://host:8086/db), or host:port to listen on. */
  url: string;
  /** The option it came from, e.g. --broker. */
  flag: string;
  /** Broker user name, when one was given (named in a refusal). */
  username?: string | undefined;
}

let noted: Endpoint[] = [];

/** Remembers the running command's endpoints (one command runs per process). */
export function noteEndpoints(endpoints: readonly Endpoint[]): void {
  noted = [...endpoints];
}

export function notedEndpoints(): readonly Endpoint[] {
  return noted;
}

const REASONS: Record<string, (error: SystemError) => string> = {
  ECONNREFUSED: () => 'connection refused (nothing listens there)',
  ENOTFOUND: (error) => `unknown host ${error.hostname ?? ''}`.trim(),
  EAI_AGAIN: (error) => `the name ${error.hostname ?? ''} could not be looked up (DNS)`.replace('  ', ' '),
  EHOSTUNREACH: () => 'no route to the host',
  ENETUNREACH: () => 'network unreachable',
  ETIMEDOUT: () => 'timed out',
  ECONNRESET: () => 'the connection was reset',
};

const DEFAULT_PORTS: Record<string, number> = {
  'mqtt:': 1883,
  'tcp:': 1883,
  'mqtts:': 8883,
  'ws:': 80,
  'wss:': 443,
  'influxdb:': 8086,
  'http:': 80,
  'https:': 443,
};

function hostAndPort(url: string): { host: string; port: number } | null {
  try {
    const parsed = new URL(url);
    const port = parsed.port === '' ? DEFAULT_PORTS[parsed.protocol] : Number(parsed.port);
    return port === undefined ? null : { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return null;
  }
}

const isIp = (host: string) => /^[\d.]+$/.test(host) || host.includes(':');

/** The endpoint a connection error is about: by address and port, or by host name for DNS errors. */
function endpointOf(error: SystemError, endpoints: readonly Endpoint[]): Endpoint | undefined {
  return endpoints.find((endpoint) => {
    const target = hostAndPort(endpoint.url);
    if (target === null) return false;
    if (error.hostname !== undefined) return error.hostname === target.host;
    if (error.port !== undefined && error.port !== target.port) return false;
    return !isIp(target.host) || error.address === undefined || error.address === target.host;
  });
}

/** MQTT CONNACK refusals of credentials: 4/5 in MQTT 3.1.1, 0x86/0x87 in MQTT 5. */
const AUTH_REFUSALS = new Set([4, 5, 0x86, 0x87]);

function isAuthRefusal(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === 'number' && AUTH_REFUSALS.has(code)) ||
    /Connection refused: (Not authorized|Bad username or password)/i.test(error.message)
  );
}

/** The one-line error of a known failure, or `error` itself when it is not one. */
export function explainFailure(error: unknown, endpoints: readonly Endpoint[] = noted): unknown {
  if (isEdgewattError(error) || !(error instanceof Error)) return error;
  const broker = endpoints.find((endpoint) => endpoint.kind === 'broker');
  if (broker !== undefined && isAuthRefusal(error)) {
    const who = broker.username === undefined ? 'an anonymous client' : `user "${broker.username}"`;
    return new BrokerAuthError(
      `the MQTT broker at ${broker.url} refused ${who} (${error.message.replace(/^Connection refused: /i, '')})`,
      { cause: error, hint: 'check --username and --password (or EDGEWATT_USERNAME and EDGEWATT_PASSWORD)' },
    );
  }
  const listen = endpoints.find((endpoint) => endpoint.kind === 'listen');
  if (listen !== undefined && isSystemError(error, 'EADDRINUSE', 'EACCES') && error.syscall === 'listen')
    return new ListenError(
      `cannot listen on ${listen.url}: ${error.code === 'EADDRINUSE' ? 'the address is already in use' : 'permission denied'}`,
      { cause: error, hint: `stop what uses it, or choose another with ${listen.flag}` },
    );
  if (isSystemError(error, ...Object.keys(REASONS))) {
    const endpoint = endpointOf(error, endpoints);
    const reason = REASONS[error.code]?.(error) ?? error.code;
    if (endpoint?.kind === 'broker')
      return new BrokerUnreachableError(`cannot reach the MQTT broker at ${endpoint.url}: ${reason}`, {
        cause: error,
        hint: `is the broker running and listening there? check ${endpoint.flag}`,
      });
    if (endpoint?.kind === 'store')
      return new StoreUnreachableError(`cannot reach the store at ${endpoint.url}: ${reason}`, {
        cause: error,
        hint: `is InfluxDB running and listening there? check ${endpoint.flag}`,
      });
  }
  // The influx client's pool says only this once every host failed.
  const store = endpoints.find(
    (endpoint) => endpoint.kind === 'store' && endpoint.url.startsWith('influxdb:'),
  );
  if (store !== undefined && error.message === 'No host available')
    return new StoreUnreachableError(`cannot reach the store at ${store.url}: no InfluxDB host answered`, {
      cause: error,
      hint: `is InfluxDB running and listening there? check ${store.flag}`,
    });
  return error;
}
