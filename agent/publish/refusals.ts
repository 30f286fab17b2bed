// What an MQTT 5 broker's "no" looks like through mqtt.js: a CONNACK refusing the credentials, or a
// PUBACK with a failure reason code (>= 0x80; mqtt.js already lets 0x10 "no matching subscribers"
// through as success). Told apart from network errors, which are simply retried.

import { BrokerAuthError } from '../../common/errors.js';

/** CONNACK: bad user name or password (0x86), not authorized (0x87); 4 and 5 in MQTT 3.1.1. */
const CREDENTIAL_REFUSALS = new Set([0x86, 0x87, 4, 5]);

const reasonCodeOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
};

export function isCredentialsRefusal(error: Error): boolean {
  const code = reasonCodeOf(error);
  return code !== undefined && CREDENTIAL_REFUSALS.has(code) && /^Connection refused/i.test(error.message);
}

/** CONNACK: the broker does not speak the MQTT version asked (1 in 3.1.1 terms, 0x84 in MQTT 5). */
export function isProtocolVersionRefusal(error: Error): boolean {
  const code = reasonCodeOf(error);
  return (code === 1 || code === 0x84) && /^Connection refused/i.test(error.message);
}

export interface Refusal {
  reasonCode: number;
  reason: string;
}

/** The broker's refusal of one publish, or undefined for success or a non-broker error. */
export function refusalOf(error: unknown): Refusal | undefined {
  const code = reasonCodeOf(error);
  if (code === undefined || code < 0x80 || !(error instanceof Error)) return undefined;
  if (!/^Publish error/i.test(error.message)) return undefined;
  return { reasonCode: code, reason: error.message.replace(/^Publish error:\s*/i, '') };
}

/** The broker refused this agent's user name or password: one line, with what to check. */
export function credentialsRefused(
  brokerUrl: string,
  username: string | undefined,
  cause: Error,
): BrokerAuthError {
  const who = username === undefined ? 'an anonymous client' : `user ${JSON.stringify(username)}`;
  return new BrokerAuthError(
    `the MQTT broker at ${brokerUrl} refused ${who} (${cause.message.replace(/^Connection refused:\s*/i, '')})`,
    { cause, hint: 'check --username and --password (or EDGEWATT_USERNAME and EDGEWATT_PASSWORD)' },
  );
}
