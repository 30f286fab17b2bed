// Namespaced structured logging (pino) to stderr, so stdout stays free for tables and exports.
// Level from EDGEWATT_LOG_LEVEL (default `info`; tests set `silent`).

import { type Logger, pino } from 'pino';

const root = pino(
  { level: process.env.EDGEWATT_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'), base: null },
  pino.destination({ fd: 2, sync: true }),
);

export type { Logger };

export function logger(namespace: string): Logger {
  return root.child({ ns: namespace });
}

export function setLogLevel(level: string): void {
  root.level = level;
}
