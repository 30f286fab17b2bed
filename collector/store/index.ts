// The store registry: every driver, one line each, and the one place that turns a store URL
// (`<scheme>:<location>`) into a store. Callers ask for a capability by name and get the store
// typed for it, or a StoreCapabilityError naming the store, what it cannot do and which can.

import type { StoreDriver } from './driver.js';
import { influxdbDriver } from './drivers/influxdb.js';
import { sqliteDriver } from './drivers/sqlite.js';
import {
  CAPABILITY_WORDS,
  type Capability,
  type CapabilityApis,
  type Store,
  StoreCapabilityError,
  StoreConfigError,
} from './store.js';

/** Every store driver; adding a store is one file in drivers/ and one line here. */
// biome-ignore format: one line per driver
export const STORE_DRIVERS: readonly StoreDriver[] = [
  sqliteDriver,
  influxdbDriver,
];

export type { StoreDriver } from './driver.js';
export { describeFilter, modelMatches, type RecordFilter, recordMatches } from './filter.js';
export {
  type AccuracySummary,
  type FeedbackReader,
  type LabelledOffloadRecord,
  type LabelledRecord,
  readAccuracySummary,
  readLabelledOffload,
  readLabelledRecords,
} from './labels.js';
export { type SkipCount, skipFirstPerModel } from './skip-first.js';
export {
  type Capability,
  type ComparisonWriter,
  type DeploymentPoint,
  type DeploymentWriter,
  type DeviceStatus,
  type DeviceSummary,
  type Drainable,
  type OffloadReader,
  type ReceivedPayload,
  type RecordReader,
  type RecordStore,
  type RecordWriter,
  type RefusedData,
  type Store,
  type StoreBufferStats,
  StoreCapabilityError,
  StoreConfigError,
  type StoredFeedback,
  type StoredOffloadRecord,
  type StoredRecord,
  StoreRefusedError,
  type WriteResult,
} from './store.js';

/**
 * Options of createStore(): `readOnly` for every driver, and each driver's own settings under its
 * scheme, e.g. `{ influxdb: { username, spoolDir } }`; each driver validates its own with zod.
 */
export interface StoreOptions {
  /** Open for reading only: the store must already exist, and nothing is written or spooled. */
  readOnly?: boolean;
  [scheme: string]: unknown;
}

const byScheme = new Map(STORE_DRIVERS.map((driver) => [driver.scheme, driver]));
/** The driver of every store createStore() made, so capability() asks the declaration. */
const driverOf = new WeakMap<Store, StoreDriver>();

const shapes = (drivers: readonly StoreDriver[]): string =>
  drivers
    .map((d) => d.shape)
    .sort()
    .join(', ');

/** Splits a store URL into its driver and location (after `scheme:` and an optional `//`). */
export function parseStoreUrl(url: string): { driver: StoreDriver; location: string } {
  const colon = url.indexOf(':');
  const driver = colon < 0 ? undefined : byScheme.get(url.slice(0, colon));
  const location = url.slice(colon + 1).replace(/^\/\//, '');
  if (driver === undefined || location.length === 0) {
    throw new StoreConfigError(
      `--store ${JSON.stringify(url)} is not a store URL; use one of: ${shapes(STORE_DRIVERS)}`,
    );
  }
  const problem = driver.locationProblem(location);
  if (problem !== null) throw new StoreConfigError(`--store ${url} ${problem}`);
  return { driver, location };
}

/** Why `url` names no usable store, or null (for config validation). */
export function storeUrlProblem(url: string): string | null {
  try {
    parseStoreUrl(url);
    return null;
  } catch (error) {
    if (error instanceof StoreConfigError) return error.message;
    throw error;
  }
}

/** Creates the store a URL names (not yet connected). */
export function createStore(url: string, options: StoreOptions = {}): Store {
  const { driver, location } = parseStoreUrl(url);
  const settings = options[driver.scheme];
  const store = driver.open(location, {
    ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
    ...(typeof settings === 'object' && settings !== null ? settings : {}),
  });
  driverOf.set(store, driver);
  return store;
}

/** The drivers that declare a capability, as URL shapes (for "use …" hints). */
export function storesThatCan(capability: Capability): string {
  return shapes(STORE_DRIVERS.filter((d) => d.capabilities.includes(capability)));
}

function refusal(url: string, capability: Capability, flag: string | undefined): StoreCapabilityError {
  const named = flag === undefined ? url : `${flag} ${url}`;
  return new StoreCapabilityError(
    url,
    capability,
    `${named}: this store cannot ${CAPABILITY_WORDS[capability]}; use ${storesThatCan(capability)}`,
  );
}

/** Refuses a URL whose driver lacks `capability`, before anything is opened. */
export function checkStoreUrlCan(url: string, capability: Capability, flag?: string): void {
  let driver: StoreDriver;
  try {
    driver = parseStoreUrl(url).driver;
  } catch (error) {
    if (!(error instanceof StoreConfigError)) throw error;
    throw refusal(JSON.stringify(url), capability, flag);
  }
  if (!driver.capabilities.includes(capability)) throw refusal(url, capability, flag);
}

function declared(store: Store): StoreDriver {
  const driver = driverOf.get(store);
  if (driver === undefined) throw new Error(`${store.url} was not made by createStore()`);
  return driver;
}

/** Whether the store's driver declares `capability`. */
export function storeCan(store: Store, capability: Capability): boolean {
  return declared(store).capabilities.includes(capability);
}

/** The store as the interface of `capability`, or a StoreCapabilityError naming both. */
export function capability<K extends Capability>(
  store: Store,
  wanted: K,
  flag?: string,
): Store & CapabilityApis[K] {
  if (!storeCan(store, wanted)) throw refusal(store.url, wanted, flag);
  // Sound: defineDriver() type-checks that create() returns every declared capability's interface.
  return store as Store & CapabilityApis[K];
}

/** The store as the interface of `capability` when declared, else undefined (optional features). */
export function optionalCapability<K extends Capability>(
  store: Store,
  wanted: K,
): (Store & CapabilityApis[K]) | undefined {
  return storeCan(store, wanted) ? (store as Store & CapabilityApis[K]) : undefined;
}
