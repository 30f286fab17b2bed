// Topic names of the wire contract: edgewatt/v1/{fleet}/{device}/{kind}. Ids are limited to a
// charset that is safe in MQTT topics, file names and SQL identifiers alike.

import { EdgewattError } from './edgewatt-error.js';
import { fail, ok, type Result } from './errors.js';
import { MAX_ID_LENGTH } from './limits.js';

export const TOPIC_ROOT = 'edgewatt';
export const TOPIC_VERSION = 'v1';

export const MESSAGE_KINDS = ['inference', 'status', 'power', 'offload', 'deployment', 'feedback'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** A parsed topic: either a data kind, or a command `cmd/{name}` sent to the device. */
export type TopicAddress =
  | { fleet: string; device: string; kind: MessageKind }
  | { fleet: string; device: string; kind: 'cmd'; command: string };

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why an id is not acceptable, or null when it is. */
export function idProblem(id: string): string | null {
  if (id.length === 0) return 'is empty';
  if (id.length > MAX_ID_LENGTH) return `is ${id.length} characters long (at most ${MAX_ID_LENGTH})`;
  if (!ID_PATTERN.test(id)) {
    return 'may only contain letters, digits, ".", "_" and "-", and must start with a letter or digit';
  }
  return null;
}

export function isValidId(id: string): boolean {
  return idProblem(id) === null;
}

export class TopicError extends EdgewattError {
  override readonly name = 'TopicError';
}

function assertId(field: string, id: string): void {
  const problem = idProblem(id);
  if (problem !== null) throw new TopicError(`${field} ${JSON.stringify(id)} ${problem}`);
}

/** Builds a topic; throws TopicError on a bad id (a programming or configuration mistake). */
export function buildTopic(address: TopicAddress): string {
  assertId('fleet id', address.fleet);
  assertId('device id', address.device);
  const base = `${TOPIC_ROOT}/${TOPIC_VERSION}/${address.fleet}/${address.device}`;
  if (address.kind === 'cmd') {
    assertId('command name', address.command);
    return `${base}/cmd/${address.command}`;
  }
  if (!(MESSAGE_KINDS as readonly string[]).includes(address.kind)) {
    throw new TopicError(
      `topic kind ${JSON.stringify(address.kind)} is unknown (known: ${MESSAGE_KINDS.join(', ')}, cmd)`,
    );
  }
  return `${base}/${address.kind}`;
}

/** The subscription filter for one kind across fleets and devices (`+` wildcards where not given). */
export function topicFilter(kind: MessageKind, fleet?: string, device?: string): string {
  if (!(MESSAGE_KINDS as readonly string[]).includes(kind))
    throw new TopicError(`topic kind ${JSON.stringify(kind)} is unknown`);
  if (fleet !== undefined) assertId('fleet id', fleet);
  if (device !== undefined) assertId('device id', device);
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/${fleet ?? '+'}/${device ?? '+'}/${kind}`;
}

/**
 * Where a device answers the inputs it is sent on `cmd/infer` (`--inputs mqtt`): application
 * JSON, not a message kind, so collectors neither subscribe to it nor parse it.
 */
export function answerTopic(fleet: string, device: string): string {
  assertId('fleet id', fleet);
  assertId('device id', device);
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/${fleet}/${device}/answer`;
}

/** Parses an incoming topic; never throws. */
export function parseTopic(topic: string): Result<TopicAddress> {
  const parts = topic.split('/');
  if (parts[0] !== TOPIC_ROOT)
    return fail('bad-topic', `topic ${JSON.stringify(topic)} is not under ${TOPIC_ROOT}/`);
  if (parts[1] !== TOPIC_VERSION) {
    return fail(
      'bad-topic',
      `topic ${JSON.stringify(topic)} has version ${JSON.stringify(parts[1])}, expected ${TOPIC_VERSION}`,
    );
  }
  const [, , fleet, device, kind, command, ...rest] = parts;
  if (fleet === undefined || device === undefined || kind === undefined) {
    return fail(
      'bad-topic',
      `topic ${JSON.stringify(topic)} must be ${TOPIC_ROOT}/${TOPIC_VERSION}/{fleet}/{device}/{kind}`,
    );
  }
  for (const [field, id] of [
    ['fleet id', fleet],
    ['device id', device],
  ] as const) {
    const problem = idProblem(id);
    if (problem !== null) return fail('bad-topic', `${field} ${JSON.stringify(id)} in topic ${problem}`);
  }
  if (kind === 'cmd') {
    if (command === undefined || rest.length > 0 || !isValidId(command)) {
      return fail('bad-topic', `command topic ${JSON.stringify(topic)} must end in cmd/{name}`);
    }
    return ok({ fleet, device, kind: 'cmd', command });
  }
  if (command !== undefined || !(MESSAGE_KINDS as readonly string[]).includes(kind)) {
    return fail(
      'bad-topic',
      `topic ${JSON.stringify(topic)} has unknown kind ${JSON.stringify(kind)} (known: ${MESSAGE_KINDS.join(', ')}, cmd/{name})`,
    );
  }
  return ok({ fleet, device, kind: kind as MessageKind });
}
