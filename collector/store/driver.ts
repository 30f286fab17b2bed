// What a store driver declares: its URL scheme, the shape of its URL, an options schema (zod),
// its capabilities and create(). One file per driver (drivers/*.ts), registered by one line in
// index.ts. The types make create() return an object implementing exactly what is declared.

import type { z } from 'zod';
import { type Capability, type CapabilityApis, type Store, StoreConfigError } from './store.js';

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** A store implementing the interfaces of the capabilities in C. */
export type StoreWith<C extends Capability> = Store & Intersection<CapabilityApis[C]>;

export interface DriverSpec<C extends Capability, O> {
  /** `sqlite` for `sqlite:<path>`. */
  scheme: string;
  /** The URL's shape for help and errors, e.g. `influxdb://<host>:<port>/<database>`. */
  shape: string;
  example: string;
  /** What it is for, one line (help text, docs). */
  summary: string;
  capabilities: readonly C[];
  /** Settings besides the URL, given to createStore() under the scheme's key, plus `readOnly`. */
  options: z.ZodType<O>;
  /** Why `location` (the URL after `scheme:` and an optional `//`) is not usable, or null. */
  locationProblem(location: string): string | null;
  create(location: string, options: O): StoreWith<C>;
}

/** A driver as the registry holds it: options still unparsed, capabilities as data. */
export interface StoreDriver {
  readonly scheme: string;
  readonly shape: string;
  readonly example: string;
  readonly summary: string;
  readonly capabilities: readonly Capability[];
  locationProblem(location: string): string | null;
  /** Parses the options with the driver's schema, then creates the (unopened) store. */
  open(location: string, options: Record<string, unknown>): Store;
}

export function defineDriver<C extends Capability, O>(spec: DriverSpec<C, O>): StoreDriver {
  return {
    scheme: spec.scheme,
    shape: spec.shape,
    example: spec.example,
    summary: spec.summary,
    capabilities: spec.capabilities,
    locationProblem: spec.locationProblem,
    open(location, options) {
      const parsed = spec.options.safeParse(options);
      if (!parsed.success) {
        const problems = parsed.error.issues.map(
          (issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`,
        );
        throw new StoreConfigError(`${spec.scheme}: store options are not valid: ${problems.join('; ')}`);
      }
      return spec.create(location, parsed.data);
    },
  };
}
