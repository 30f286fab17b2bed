// The straightforward CBOR shape walk (an array of objects as its stack, one item at a time), kept
// as the oracle for protocol/codec/cbor-shape.ts, whose typed-array stacks and fast lane for
// integer runs must give the very same answer, message and byte position included, on every input.
// This is a copy of that module before its speed-up (commit 9e9f1b6), on purpose.

/** Deepest nesting of arrays and maps a payload may have (the wire needs 2: map → column array). */
const MAX_CBOR_NESTING = 16;

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;
const INDEFINITE = 31;
const BREAK = 0xff;

/** Simple values and floats the wire may carry: false, true, null, undefined, float16/32/64. */
const ALLOWED_SIMPLE = new Set([20, 21, 22, 23, 25, 26, 27]);

/** Open containers: items still expected (Infinity for indefinite length, closed by a break). */
interface Open {
  remaining: number;
  indefinite: boolean;
}

/**
 * Why the CBOR item in `bytes` is not one the protocol carries (a tag, a simple value it does not
 * use, nesting past MAX_CBOR_NESTING, a truncated or trailing item), or null if its shape is fine.
 * Values are not judged here; the wire schema does that after decoding.
 */
export function referenceCborShapeProblem(bytes: Uint8Array): string | null {
  const stack: Open[] = [];
  let at = 0;
  let items = 1; // items still to read at the top level: exactly one
  while (items > 0 || stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top !== undefined && top.remaining === 0) {
      stack.pop();
      continue;
    }
    if (at >= bytes.length) return `truncated: the payload ends inside an item at byte ${at}`;
    const initial = bytes[at] as number;
    if (top?.indefinite && initial === BREAK) {
      at++;
      stack.pop();
      continue;
    }
    const major = initial >> 5;
    const info = initial & 0x1f;
    const headAt = at;
    at++;
    let argument = info;
    if (info >= 24 && info <= 27) {
      const size = 1 << (info - 24);
      if (at + size > bytes.length) return `truncated: the head at byte ${headAt} needs ${size} more bytes`;
      argument = 0;
      // Read as a float sum, not with bit operations: 8-byte lengths pass 2^32, and any length
      // past the payload's own is refused just below, so precision beyond 2^53 does not matter.
      for (let k = 0; k < size; k++) argument = argument * 256 + (bytes[at + k] as number);
      at += size;
    } else if (info >= 28 && info <= 30) {
      return `reserved additional information ${info} at byte ${headAt}`;
    }
    if (top !== undefined && !top.indefinite) top.remaining--;
    else if (top === undefined) items--;
    switch (major) {
      case MAJOR_UNSIGNED:
      case MAJOR_NEGATIVE:
        if (info === INDEFINITE) return `an integer with indefinite length at byte ${headAt}`;
        break;
      case MAJOR_BYTES:
      case MAJOR_TEXT:
        if (info === INDEFINITE) {
          // Chunks of the same major type follow until a break; each is checked as an item.
          if (stack.length >= MAX_CBOR_NESTING) return nestingProblem(headAt);
          stack.push({ remaining: Number.POSITIVE_INFINITY, indefinite: true });
          break;
        }
        if (argument > bytes.length - at) {
          return `truncated: a string of ${argument} bytes at byte ${headAt} passes the end of the payload`;
        }
        at += argument;
        break;
      case MAJOR_ARRAY:
      case MAJOR_MAP: {
        if (stack.length >= MAX_CBOR_NESTING) return nestingProblem(headAt);
        if (info === INDEFINITE) {
          stack.push({ remaining: Number.POSITIVE_INFINITY, indefinite: true });
          break;
        }
        const count = major === MAJOR_MAP ? argument * 2 : argument;
        // Each item takes at least one byte: a count past the rest of the payload is a lie.
        if (count > bytes.length - at) {
          return `truncated: ${argument} ${major === MAJOR_MAP ? 'entries' : 'items'} announced at byte ${headAt}, more than the payload holds`;
        }
        stack.push({ remaining: count, indefinite: false });
        break;
      }
      case MAJOR_TAG:
        return `tag ${argument} at byte ${headAt} is not used by this protocol (it carries only maps, arrays, text, numbers, booleans and null)`;
      default:
        if (info === INDEFINITE) return `a break outside an indefinite-length item at byte ${headAt}`;
        if (!ALLOWED_SIMPLE.has(info)) {
          return `simple value ${info < 24 ? info : argument} at byte ${headAt} is not used by this protocol`;
        }
    }
  }
  if (at !== bytes.length) return `${bytes.length - at} bytes after the end of the message at byte ${at}`;
  return null;
}

function nestingProblem(at: number): string {
  return `arrays and maps nested deeper than ${MAX_CBOR_NESTING} levels at byte ${at}`;
}
