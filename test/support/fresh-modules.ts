// Setup file of the `unit` project, which runs its files one after another in a few long-lived
// worker processes (`isolate: false` in vitest.config.ts) instead of a new process per file: a
// process start and the import of the heavy libraries (zod, fastify, TensorFlow.js, onnxruntime)
// cost about half the CPU time of the unit run. What a file may rely on stays as it was: our own
// modules are evaluated afresh for every file (module state, `vi.mock`), because the module
// registry is reset here before each file imports anything. Libraries in node_modules are shared
// between the files of a worker, and so is global state (timers, process.env, globalThis): a file
// restores what it changes, and one that leaves fake timers on fails here.

import { afterAll, vi } from 'vitest';

export class LeftoverStateError extends Error {
  override name = 'LeftoverStateError';
}

/** The timer functions of this worker when its first file started (setup files run per file). */
const TIMERS = [
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'queueMicrotask',
] as const;
type Timers = Record<(typeof TIMERS)[number], unknown>;
const REAL_TIMERS = Symbol.for('edgewatt.test.realTimers');
const globals = globalThis as typeof globalThis & { [REAL_TIMERS]?: Timers };
globals[REAL_TIMERS] ??= Object.fromEntries(TIMERS.map((name) => [name, globalThis[name]])) as Timers;
const realTimers = globals[REAL_TIMERS];

vi.resetModules();

afterAll(() => {
  const replaced = TIMERS.filter((name) => globalThis[name] !== realTimers[name]);
  const fake = vi.isFakeTimers();
  if (fake || replaced.length > 0) {
    vi.useRealTimers();
    for (const name of replaced) Object.assign(globalThis, { [name]: realTimers[name] });
    throw new LeftoverStateError(
      `this file left ${fake ? 'fake timers on' : `${replaced.join(', ')} replaced`}: the next file ` +
        'in this worker would run on them (restore spies, then call vi.useRealTimers(), in afterEach)',
    );
  }
});
