// Collector options of the real deployment path: MQTT 5 shared group, TLS to the broker, and
// the InfluxDB store's credentials, TLS and write-ahead spool. Part of the collector's schema
// (cli/schemas.ts); every one is also an EDGEWATT_* variable and a config-file key.

import { join } from 'node:path';
import { z } from 'zod';
import type { CollectorConfig } from '../../collector/collector.js';
import type { StoreOptions } from '../../collector/store/index.js';
import { ConfigError } from '../config-error.js';
import { pemFile, spoolFsync, spoolMaxBytes } from './agent-reliability.js';
import { BOOLEAN_DEPRECATED_VALUES, bool, int, option } from './fields.js';

export const collectorDeployFields = {
  sharedGroup: option(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . - (no / + #)')
      .optional(),
    { arg: 'name', help: 'MQTT 5 shared subscription group: collectors of one group split the load' },
  ),
  sessionExpiry: option(int({ min: 1 }).optional(), {
    arg: 's',
    help: 'MQTT 5 session expiry with --client-id',
    defaultHelp: '7 days',
  }),
  connections: option(int({ min: 1 }).default(1), {
    arg: 'n',
    help: 'members of the shared group in this process (client ids <client-id>-0..n-1); more = more messages per spool sync',
  }),
  usernamePerConnection: option(bool().default(false), {
    help: 'log connection n in as user <username>-n (what provision-collector makes; with use_username_as_clientid the user name is the client id)',
    deprecatedValues: BOOLEAN_DEPRECATED_VALUES,
  }),
  ca: option(pemFile().optional(), { arg: 'file', help: 'CA certificate (PEM) to trust for mqtts://' }),
  cert: option(pemFile().optional(), { arg: 'file', help: 'client certificate (PEM) for the broker' }),
  key: option(pemFile().optional(), { arg: 'file', help: 'client key (PEM) for the broker' }),
  influxUsername: option(z.string().optional(), { arg: 'name', help: 'InfluxDB user' }),
  influxPassword: option(z.string().optional(), {
    arg: 'secret',
    help: 'InfluxDB password (prefer EDGEWATT_INFLUX_PASSWORD)',
    secret: true,
  }),
  influxTls: option(bool().optional(), {
    help: 'talk https to InfluxDB',
    defaultHelp: 'on with --influx-ca or --influx-cert',
    deprecatedValues: BOOLEAN_DEPRECATED_VALUES,
  }),
  influxCa: option(pemFile().optional(), { arg: 'file', help: 'CA certificate (PEM) to trust for InfluxDB' }),
  influxCert: option(pemFile().optional(), { arg: 'file', help: 'client certificate (PEM) for InfluxDB' }),
  influxKey: option(pemFile().optional(), { arg: 'file', help: 'client key (PEM) for InfluxDB' }),
  spoolDir: option(z.string().min(1).optional(), {
    arg: 'path',
    help: 'write-ahead spool of the InfluxDB store, one per collector',
    defaultHelp: '.edgewatt/spool/<client id>',
  }),
  spoolMaxBytes: spoolMaxBytes(
    256 * 2 ** 20,
    'bound of the InfluxDB spool (bytes, or with a unit: 256MiB, 1GiB); a full spool slows intake, never drops',
    // Until 0.1 the collector spelled it --spool-max-mb <n> (MiB).
    [{ key: 'spoolMaxMb', arg: 'n', convert: (mb) => `${String(mb)}MiB` }],
  ),
  spoolFsync: spoolFsync(
    'always: fdatasync the spool before acknowledging a message; never: a crash of the machine may lose acknowledged messages',
    // Until 0.1 the collector spelled it true|false.
    { true: 'always', false: 'never' },
  ),
  batchLines: option(int({ min: 1 }).default(5000), { arg: 'n', help: 'points per InfluxDB write' }),
  flushMs: option(int({ min: 1 }).default(1000), {
    arg: 'ms',
    help: 'longest a point waits for a full batch',
  }),
};

type DeployConfig = z.infer<z.ZodObject<typeof collectorDeployFields>> & { clientId?: string | undefined };

export function brokerOptions(config: DeployConfig): Partial<CollectorConfig> {
  if (config.connections > 1 && config.sharedGroup === undefined) {
    throw new ConfigError(
      `--connections ${config.connections} needs --shared-group: without a shared subscription every connection would get every message`,
    );
  }
  return {
    connections: config.connections,
    usernamePerConnection: config.usernamePerConnection,
    sharedGroup: config.sharedGroup,
    sessionExpirySeconds: config.sessionExpiry,
    ca: config.ca,
    cert: config.cert,
    key: config.key,
  };
}

export function storeOptions(config: DeployConfig): StoreOptions {
  return {
    influxdb: {
      username: config.influxUsername,
      password: config.influxPassword,
      tls: config.influxTls,
      ca: config.influxCa,
      cert: config.influxCert,
      key: config.influxKey,
      spoolDir: config.spoolDir ?? join('.edgewatt', 'spool', config.clientId ?? 'collector'),
      spoolMaxBytes: config.spoolMaxBytes,
      fsync: config.spoolFsync === 'always',
      batchLines: config.batchLines,
      flushIntervalMs: config.flushMs,
    },
  };
}
