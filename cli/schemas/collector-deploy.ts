// Collector options of the real deployment path: MQTT 5 shared group, TLS to the broker, and
// the InfluxDB store's credentials, TLS and write-ahead spool. Added to `edgewatt collector`
// by cli/commands/collector.ts; every one is also an EDGEWATT_* variable and a config-file key.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { CollectorConfig } from '../../collector/collector.js';
import type { StoreOptions } from '../../collector/store/index.js';
import { ConfigError } from '../config.js';

const pemFile = z.string().refine((path) => existsSync(path), {
  error: (issue) => `file ${JSON.stringify(issue.input)} does not exist`,
});
const positive = (name: string) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
    z
      .number({ error: `${name} must be a number` })
      .int()
      .positive(),
  );
const flag = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean(),
);

export const collectorDeployFields = {
  sharedGroup: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . - (no / + #)')
    .optional(),
  sessionExpiry: positive('session expiry').optional(),
  connections: positive('connections').default(1),
  ca: pemFile.optional(),
  cert: pemFile.optional(),
  key: pemFile.optional(),
  influxUsername: z.string().optional(),
  influxPassword: z.string().optional(),
  influxTls: flag.optional(),
  influxCa: pemFile.optional(),
  influxCert: pemFile.optional(),
  influxKey: pemFile.optional(),
  spoolDir: z.string().min(1).optional(),
  spoolMaxMb: positive('spool size').default(256),
  spoolFsync: flag.default(true),
  batchLines: positive('batch size').default(5000),
  flushMs: positive('flush interval').default(1000),
};

export function addCollectorDeployOptions(command: Command): Command {
  return command
    .option(
      '--shared-group <name>',
      'MQTT 5 shared subscription group: collectors of one group split the load',
    )
    .option('--session-expiry <s>', 'MQTT 5 session expiry with --client-id (default: 7 days)')
    .option(
      '--connections <n>',
      'members of the shared group in this process (client ids <client-id>-0..n-1); more = more messages per spool sync (default: 1)',
    )
    .option('--ca <file>', 'CA certificate (PEM) to trust for mqtts://')
    .option('--cert <file>', 'client certificate (PEM) for the broker')
    .option('--key <file>', 'client key (PEM) for the broker')
    .option('--influx-username <name>', 'InfluxDB user')
    .option('--influx-password <secret>', 'InfluxDB password (prefer EDGEWATT_INFLUX_PASSWORD)')
    .option('--influx-tls', 'talk https to InfluxDB (implied by --influx-ca/--influx-cert)')
    .option('--influx-ca <file>', 'CA certificate (PEM) to trust for InfluxDB')
    .option('--influx-cert <file>', 'client certificate (PEM) for InfluxDB')
    .option('--influx-key <file>', 'client key (PEM) for InfluxDB')
    .option(
      '--spool-dir <path>',
      'write-ahead spool of the InfluxDB store, one per collector (default: .edgewatt/spool/<client id>)',
    )
    .option('--spool-max-mb <n>', 'spool bound in MiB; a full spool slows intake, never drops (default: 256)')
    .option('--spool-fsync <bool>', 'fdatasync the spool before acknowledging a message (default: true)')
    .option('--batch-lines <n>', 'points per InfluxDB write (default: 5000)')
    .option('--flush-ms <ms>', 'longest a point waits for a full batch (default: 1000)');
}

type DeployConfig = z.infer<z.ZodObject<typeof collectorDeployFields>> & { clientId?: string };

export function brokerOptions(config: DeployConfig): Partial<CollectorConfig> {
  if (config.connections > 1 && config.sharedGroup === undefined) {
    throw new ConfigError(
      `--connections ${config.connections} needs --shared-group: without a shared subscription every connection would get every message`,
    );
  }
  return {
    connections: config.connections,
    sharedGroup: config.sharedGroup,
    sessionExpirySeconds: config.sessionExpiry,
    ca: config.ca,
    cert: config.cert,
    key: config.key,
  };
}

export function storeOptions(config: DeployConfig): StoreOptions {
  return {
    influx: {
      username: config.influxUsername,
      password: config.influxPassword,
      tls: config.influxTls,
      ca: config.influxCa,
      cert: config.influxCert,
      key: config.influxKey,
      spoolDir: config.spoolDir ?? join('.edgewatt', 'spool', config.clientId ?? 'collector'),
      spoolMaxBytes: config.spoolMaxMb * 2 ** 20,
      fsync: config.spoolFsync,
      batchLines: config.batchLines,
      flushIntervalMs: config.flushMs,
    },
  };
}
