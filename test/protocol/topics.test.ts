import { describe, expect, it } from 'vitest';
import {
  buildTopic,
  idProblem,
  isValidId,
  MAX_ID_LENGTH,
  MESSAGE_KINDS,
  ProtocolError,
  parseTopic,
  TOPIC_ROOT,
  TOPIC_VERSION,
  type TopicAddress,
  TopicError,
  topicFilter,
} from '../../protocol/index.js';
import { expectFailure, mulberry32 } from './fixtures.js';

const BAD_IDS: readonly [string, string][] = [
  ['empty', ''],
  ['a plus wildcard', 'dev+1'],
  ['a lone plus', '+'],
  ['a hash wildcard', 'dev#1'],
  ['a lone hash', '#'],
  ['a slash', 'dev/1'],
  ['a space', 'dev 1'],
  ['a leading dot', '.hidden'],
  ['a leading dash', '-dev'],
  ['a non-ASCII letter', 'gerät'],
  ['a NUL', 'dev\u00001'],
  [`${MAX_ID_LENGTH + 1} characters`, 'a'.repeat(MAX_ID_LENGTH + 1)],
];

const GOOD_IDS = ['a', '0', 'rpi4-lab_01.v2', 'Z'.repeat(MAX_ID_LENGTH)];

function expectTopicError(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TopicError);
  expect((caught as TopicError).name).toBe('TopicError');
  for (const fragment of fragments) expect((caught as TopicError).message).toContain(fragment);
}

describe('buildTopic and parseTopic', () => {
  it.each(MESSAGE_KINDS)('a %s topic is edgewatt/v1/{fleet}/{device}/{kind} and parses back', (kind) => {
    const address: TopicAddress = { fleet: 'lab', device: 'rpi4-01', kind };
    const topic = buildTopic(address);
    expect(topic).toBe(`edgewatt/v1/lab/rpi4-01/${kind}`);
    expect(parseTopic(topic)).toEqual({ ok: true, value: address });
  });

  it.each(['reboot', 'set-variant', 'a', 'x'.repeat(MAX_ID_LENGTH)])(
    'a cmd/%s topic carries the command name and parses back',
    (command) => {
      const address: TopicAddress = { fleet: 'lab', device: 'rpi4-01', kind: 'cmd', command };
      const topic = buildTopic(address);
      expect(topic).toBe(`edgewatt/v1/lab/rpi4-01/cmd/${command}`);
      expect(parseTopic(topic)).toEqual({ ok: true, value: address });
    },
  );

  it.each(GOOD_IDS)('id %j of letters, digits, ".", "_" and "-" round-trips as fleet and device', (id) => {
    const address: TopicAddress = { fleet: id, device: id, kind: 'status' };
    expect(parseTopic(buildTopic(address))).toEqual({ ok: true, value: address });
  });

  it('uses the exported root and version constants', () => {
    expect(TOPIC_ROOT).toBe('edgewatt');
    expect(TOPIC_VERSION).toBe('v1');
    expect(MESSAGE_KINDS).toEqual(['inference', 'status', 'power', 'offload', 'deployment', 'feedback']);
  });
});

describe('buildTopic rejects bad ids with TopicError', () => {
  it.each(BAD_IDS)('a fleet id with %s throws TopicError naming the fleet id', (_label, id) => {
    expectTopicError(() => buildTopic({ fleet: id, device: 'dev', kind: 'inference' }), 'fleet id');
  });

  it.each(BAD_IDS)('a device id with %s throws TopicError naming the device id', (_label, id) => {
    expectTopicError(() => buildTopic({ fleet: 'lab', device: id, kind: 'status' }), 'device id');
  });

  it.each(BAD_IDS)('a command name with %s throws TopicError naming the command', (_label, command) => {
    expectTopicError(() => buildTopic({ fleet: 'lab', device: 'dev', kind: 'cmd', command }), 'command name');
  });

  it('the TopicError message quotes the offending id and says why', () => {
    expectTopicError(
      () => buildTopic({ fleet: 'lab', device: 'dev+1', kind: 'status' }),
      '"dev+1"',
      'may only',
    );
    expectTopicError(
      () => buildTopic({ fleet: 'a'.repeat(65), device: 'dev', kind: 'status' }),
      'is 65 characters long (at most 64)',
    );
    expectTopicError(() => buildTopic({ fleet: '', device: 'dev', kind: 'status' }), 'is empty');
  });
});

describe('idProblem and isValidId', () => {
  it.each(GOOD_IDS)('%j has no problem', (id) => {
    expect(idProblem(id)).toBeNull();
    expect(isValidId(id)).toBe(true);
  });

  it.each(BAD_IDS)('an id with %s has a problem', (_label, id) => {
    expect(idProblem(id)).toEqual(expect.any(String));
    expect(isValidId(id)).toBe(false);
  });
});

describe('parseTopic rejects without throwing', () => {
  const rejected: readonly [string, string][] = [
    ['the empty string', ''],
    ['a wrong root', 'edgewat/v1/lab/dev/inference'],
    ['a root in the wrong case', 'Edgewatt/v1/lab/dev/inference'],
    ['a leading slash', '/edgewatt/v1/lab/dev/inference'],
    ['a wrong version', 'edgewatt/v2/lab/dev/inference'],
    ['a version in the wrong case', 'edgewatt/V1/lab/dev/inference'],
    ['no version', 'edgewatt'],
    ['a missing kind', 'edgewatt/v1/lab/dev'],
    ['a missing device', 'edgewatt/v1/lab'],
    ['an unknown kind', 'edgewatt/v1/lab/dev/telemetry'],
    ['a kind in the wrong case', 'edgewatt/v1/lab/dev/Inference'],
    ['an empty kind (trailing slash)', 'edgewatt/v1/lab/dev/'],
    ['an extra segment after a kind', 'edgewatt/v1/lab/dev/inference/extra'],
    ['a trailing slash after a kind', 'edgewatt/v1/lab/dev/status/'],
    ['cmd without a name', 'edgewatt/v1/lab/dev/cmd'],
    ['cmd with an empty name', 'edgewatt/v1/lab/dev/cmd/'],
    ['cmd with an extra segment', 'edgewatt/v1/lab/dev/cmd/reboot/now'],
    ['cmd with a bad name', 'edgewatt/v1/lab/dev/cmd/re boot'],
    ['an empty fleet', 'edgewatt/v1//dev/inference'],
    ['an empty device', 'edgewatt/v1/lab//inference'],
    ['a + wildcard as fleet', 'edgewatt/v1/+/dev/inference'],
    ['a + wildcard as device', 'edgewatt/v1/lab/+/inference'],
    ['a # wildcard as device', 'edgewatt/v1/lab/#'],
    ['a space in the device', 'edgewatt/v1/lab/my dev/inference'],
    ['a too long fleet', `edgewatt/v1/${'f'.repeat(MAX_ID_LENGTH + 1)}/dev/inference`],
    ['a too long device', `edgewatt/v1/lab/${'d'.repeat(MAX_ID_LENGTH + 1)}/inference`],
  ];

  it.each(rejected)('a topic with %s is a bad-topic ProtocolError', (_label, topic) => {
    const result = parseTopic(topic);
    const error = expectFailure(result, 'bad-topic');
    expect(error).toBeInstanceOf(ProtocolError);
  });

  it('the error message names the offending part', () => {
    expectFailure(parseTopic('other/v1/lab/dev/inference'), 'bad-topic', 'not under edgewatt/');
    expectFailure(parseTopic('edgewatt/v9/lab/dev/inference'), 'bad-topic', '"v9"', 'expected v1');
    expectFailure(parseTopic('edgewatt/v1/lab/dev/telemetry'), 'bad-topic', 'unknown kind "telemetry"');
    expectFailure(parseTopic('edgewatt/v1/lab/d+v/status'), 'bad-topic', 'device id "d+v"');
    expectFailure(parseTopic('edgewatt/v1/l#b/dev/status'), 'bad-topic', 'fleet id "l#b"');
    expectFailure(parseTopic('edgewatt/v1/lab/dev/cmd'), 'bad-topic', 'cmd/{name}');
  });

  it('never throws on 2,000 random strings built from topic-ish characters', () => {
    const rnd = mulberry32(0x70_91c);
    const alphabet = [
      'edgewatt',
      'v1',
      'cmd',
      'status',
      '/',
      '/',
      '+',
      '#',
      ' ',
      'a',
      '-',
      '.',
      '\u0000',
      'é',
    ];
    for (let i = 0; i < 2_000; i++) {
      const length = Math.floor(rnd() * 12);
      const topic = Array.from({ length }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const result = parseTopic(topic);
      if (!result.ok) expect(result.error.reason).toBe('bad-topic');
      else expect(buildTopic(result.value)).toBe(topic);
    }
  });
});

describe('topicFilter', () => {
  it.each(MESSAGE_KINDS)('matches every fleet and device of %s with + wildcards', (kind) => {
    expect(topicFilter(kind)).toBe(`edgewatt/v1/+/+/${kind}`);
  });

  it('fixes the fleet, the device, or both when given', () => {
    expect(topicFilter('inference', 'lab')).toBe('edgewatt/v1/lab/+/inference');
    expect(topicFilter('status', 'lab', 'rpi4-01')).toBe('edgewatt/v1/lab/rpi4-01/status');
    expect(topicFilter('power', undefined, 'rpi4-01')).toBe('edgewatt/v1/+/rpi4-01/power');
  });

  it('matches, segment by segment, the topics buildTopic makes for that kind', () => {
    const filter = topicFilter('inference', 'lab').split('/');
    const topic = buildTopic({ fleet: 'lab', device: 'dev-7', kind: 'inference' }).split('/');
    expect(topic).toHaveLength(filter.length);
    filter.forEach((segment, i) => {
      if (segment !== '+') expect(topic[i]).toBe(segment);
    });
  });

  it.each(BAD_IDS)('throws TopicError for a fleet or device with %s', (_label, id) => {
    expectTopicError(() => topicFilter('inference', id), 'fleet id');
    expectTopicError(() => topicFilter('inference', 'lab', id), 'device id');
  });
});
