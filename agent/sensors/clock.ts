// An allocation-free monotonic clock in nanoseconds, on the same time base as
// process.hrtime.bigint(), for the 1 kHz sampling loop. process.hrtime.bigint() allocates a
// BigInt on every call; at 1 kHz that garbage wakes V8's GC helper threads, which cost more CPU
// than the sampling itself (measured: ~1 % of a core). performance.now() returns a plain double.

/** Offset from performance.now() (ms since this thread's time origin) to hrtime (ns). */
function calibrateOffsetNs(): number {
  // The pair with the shortest bracket bounds the offset error; a few tries are plenty.
  let bestSpanNs = Number.POSITIVE_INFINITY;
  let offsetNs = 0;
  for (let i = 0; i < 7; i++) {
    const before = Number(process.hrtime.bigint());
    const nowMs = performance.now();
    const after = Number(process.hrtime.bigint());
    if (after - before < bestSpanNs) {
      bestSpanNs = after - before;
      offsetNs = (before + after) / 2 - nowMs * 1e6;
    }
  }
  return offsetNs;
}

const OFFSET_NS = calibrateOffsetNs();

/**
 * Monotonic time in ns, comparable with Number(process.hrtime.bigint()) in any thread (both read
 * the same clock; the offset is measured once, to well under a microsecond).
 */
export function monotonicNs(): number {
  return OFFSET_NS + performance.now() * 1e6;
}
