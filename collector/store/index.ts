// The store registry: a store URL's scheme picks the implementation (`sqlite:<path>` here;
// InfluxDB joins with the deployment path). One line per store.

import { InfluxStore, type InfluxStoreSettings } from './influx.js';
import { SqliteStore } from './sqlite.js';
import { type QueryableStore, StoreConfigError } from './store.js';

export type {
  DeviceStatus,
  DeviceSummary,
  QueryableStore,
  ReceivedPayload,
  RecordStore,
  StoredRecord,
  WriteResult,
} from './store.js';
export { StoreConfigError } from './store.js';

export interface StoreOptions {
  /** Open for reading only; the store must already exist. */
  readOnly?: boolean;
  /** Credentials, TLS and spool of the InfluxDB store (ignored by the others). */
  influx?: InfluxStoreSettings;
}

const STORES: Record<string, (rest: string, options: StoreOptions) => QueryableStore> = {
  sqlite: (path, options) => new SqliteStore(path, options),
  influxdb: (rest, options) => new InfluxStore(rest, options.influx),
};

export function createStore(url: string, options: StoreOptions = {}): QueryableStore {
  const colon = url.indexOf(':');
  const scheme = colon < 0 ? '' : url.slice(0, colon);
  const rest = url.slice(colon + 1);
  const make = STORES[scheme];
  if (make === undefined || rest.length === 0) {
    throw new StoreConfigError(
      `--store ${JSON.stringify(url)} is not a store URL; use one of: ${Object.keys(STORES)
        .map((s) => `${s}:<path>`)
        .join(', ')}`,
    );
  }
  return make(rest.replace(/^\/\//, ''), options);
}
