// explainFailure on the real errors of real clients (MQTT.js, the influx client, net) against a
// closed port: each becomes the one-line error of its endpoint, and anything else is left alone.

import { createConnection } from 'node:net';
import { InfluxDB } from 'influx';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { type Endpoint, explainFailure } from '../../cli/failures.js';
import { failureText } from '../../cli/main.js';
import {
  BrokerAuthError,
  BrokerUnreachableError,
  EdgewattError,
  hasErrorCode,
  isEdgewattError,
  StoreUnreachableError,
} from '../../common/errors.js';
import { freePort } from '../support/ports.js';

async function refusedConnection(port: number): Promise<Error> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('error', resolve);
  });
}

describe('explainFailure', () => {
  it('turns MQTT.js refused connections into BrokerUnreachableError for the broker endpoint', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const raw = await mqtt.connectAsync(url, { reconnectPeriod: 0 }).then(
      () => new Error('connected?'),
      (error: Error) => error,
    );
    const endpoints: Endpoint[] = [{ kind: 'broker', url, flag: '--broker' }];
    const explained = explainFailure(raw, endpoints);
    expect(explained).toBeInstanceOf(BrokerUnreachableError);
    expect((explained as EdgewattError).code).toBe('BROKER_UNREACHABLE');
    expect((explained as Error).cause).toBe(raw);
    expect(failureText(raw, false)).toContain('unexpected error'); // no endpoints noted here
  });

  it('turns a refused connection to InfluxDB into StoreUnreachableError, by port', async () => {
    const storePort = await freePort();
    const endpoints: Endpoint[] = [
      { kind: 'broker', url: 'mqtt://127.0.0.1:1883', flag: '--broker' },
      { kind: 'store', url: `influxdb://127.0.0.1:${storePort}/edgewatt`, flag: '--store' },
    ];
    const raw = await refusedConnection(storePort);
    const explained = explainFailure(raw, endpoints) as EdgewattError;
    expect(explained).toBeInstanceOf(StoreUnreachableError);
    expect(explained.message).toBe(
      `cannot reach the store at influxdb://127.0.0.1:${storePort}/edgewatt: connection refused (nothing listens there)`,
    );
    expect(explained.hint).toContain('--store');
  });

  it('recognises the influx client failing on every host', async () => {
    const port = await freePort();
    const influx = new InfluxDB({ host: '127.0.0.1', port, database: 'edgewatt' });
    const raw = await influx.getDatabaseNames().then(
      () => new Error('answered?'),
      (error: Error) => error,
    );
    const endpoint: Endpoint = {
      kind: 'store',
      url: `influxdb://127.0.0.1:${port}/edgewatt`,
      flag: '--store',
    };
    expect(explainFailure(raw, [endpoint])).toBeInstanceOf(StoreUnreachableError);
  });

  it('names the refused user on an MQTT CONNACK refusal (codes 4, 5, 0x86, 0x87)', () => {
    const refusal = Object.assign(new Error('Connection refused: Not authorized'), { code: 5 });
    const explained = explainFailure(refusal, [
      { kind: 'broker', url: 'mqtt://b:1883', flag: '--broker', username: 'lab.pi4-01' },
    ]) as EdgewattError;
    expect(explained).toBeInstanceOf(BrokerAuthError);
    expect(explained.message).toBe(
      'the MQTT broker at mqtt://b:1883 refused user "lab.pi4-01" (Not authorized)',
    );
  });

  it('leaves other errors, and errors about other addresses, alone', async () => {
    const raw = await refusedConnection(await freePort());
    const endpoints: Endpoint[] = [{ kind: 'broker', url: 'mqtt://127.0.0.1:1', flag: '--broker' }];
    expect(explainFailure(raw, endpoints)).toBe(raw);
    const bug = new TypeError('x is undefined');
    expect(explainFailure(bug, endpoints)).toBe(bug);
  });
});

describe('failureText', () => {
  it('prints a known error in one line with its hint, and the stack only with --debug', () => {
    const error = new BrokerUnreachableError('cannot reach the MQTT broker at mqtt://h:1', {
      hint: 'check --broker',
    });
    expect(failureText(error, false)).toBe(
      'edgewatt: cannot reach the MQTT broker at mqtt://h:1 (check --broker)\n',
    );
    expect(failureText(error, true)).toMatch(/BrokerUnreachableError: cannot reach[^\n]*\n\s+at /);
  });

  it('calls anything that is not ours unexpected and points to --debug, without a stack', () => {
    const text = failureText(new TypeError('x is undefined'), false);
    expect(text).toBe('edgewatt: unexpected error: x is undefined (run with --debug for the stack trace)\n');
  });
});

describe('EdgewattError', () => {
  it('derives its code from the class name unless given, and has type guards', () => {
    class ScenarioThingError extends EdgewattError {
      override readonly name = 'ScenarioThingError';
    }
    const error = new ScenarioThingError('bad');
    expect(error.code).toBe('SCENARIO_THING');
    expect(new EdgewattError('x', { code: 'E_X' }).code).toBe('E_X');
    expect(isEdgewattError(error)).toBe(true);
    expect(isEdgewattError(new Error('x'))).toBe(false);
    expect(hasErrorCode(error, 'SCENARIO_THING')).toBe(true);
    expect(hasErrorCode(error, 'OTHER')).toBe(false);
  });
});
