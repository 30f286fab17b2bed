// A walk over the CBOR item heads of an untrusted payload, before cbor-x decodes it: the protocol
// uses only maps, arrays, text, numbers, booleans and null, nested a few levels, and nothing else
// gets through. cbor-x decodes tags by default with process-wide handlers (28/29 value sharing,
// 27 constructs an Error, 258 a Set, 259 a Map, 64–86 typed arrays, 0xe000+ records) and cannot be
// told to refuse them per decoder; value sharing turns 478 bytes into a DAG with 2^60 paths, on
// which any later walk (zod, an error message) runs for minutes. One linear pass, no allocation.

/** Deepest nesting of arrays and maps a payload may have (the wire needs 2: map → column array). */
export const MAX_CBOR_NESTING = 16;

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;
const INDEFINITE = 31;
const BREAK = 0xff;

/** Simple values and floats the wire may carry: false, true, null, undefined, float16/32/64, as a bit mask. */
const ALLOWED_SIMPLE_MASK = (1 << 20) | (1 << 21) | (1 << 22) | (1 << 23) | (1 << 25) | (1 << 26) | (1 << 27);

// The open containers as two typed-array stacks, not an array of objects: this walk runs on every
// CBOR message the collector takes, over every item (a batch of 100 records is ~1,000 items), and
// objects per container and a Set lookup per simple value made it cost as much as cbor-x's own
// decode. Items still expected per container (Infinity for indefinite length, closed by a break).
const remainingAt = new Float64Array(MAX_CBOR_NESTING + 1);
const indefiniteAt = new Uint8Array(MAX_CBOR_NESTING + 1);

/**
 * Why the CBOR item in `bytes` is not one the protocol carries (a tag, a simple value it does not
 * use, nesting past MAX_CBOR_NESTING, a truncated or trailing item), or null if its shape is fine.
 * Values are not judged here; the wire schema does that after decoding.
 */
export function cborShapeProblem(bytes: Uint8Array): string | null {
  const length = bytes.length;
  let depth = 0; // open containers; the top one is at depth - 1
  let at = 0;
  let items = 1; // items still to read at the top level: exactly one
  while (items > 0 || depth > 0) {
    if (depth > 0 && remainingAt[depth - 1] === 0) {
      depth--;
      continue;
    }
    const topIndefinite = depth > 0 && indefiniteAt[depth - 1] === 1;
    if (depth > 0 && !topIndefinite) {
      // Fast lane for a run of integers in a definite array or map (the wire's columns are
      // integer arrays): whole heads, nothing to check but their length. Anything else, or a head
      // cut off by the end, goes the general way below, which says what is wrong.
      let remaining = remainingAt[depth - 1] as number;
      while (remaining > 0 && at < length) {
        const head = bytes[at] as number;
        if (head >= 0x40) break; // not major type 0 or 1
        const headInfo = head & 0x1f;
        if (headInfo < 24) at += 1;
        else if (headInfo <= 27 && at + 1 + (1 << (headInfo - 24)) <= length)
          at += 1 + (1 << (headInfo - 24));
        else break;
        remaining--;
      }
      remainingAt[depth - 1] = remaining;
      if (remaining === 0) continue;
    }
    if (at >= length) return `truncated: the payload ends inside an item at byte ${at}`;
    const initial = bytes[at] as number;
    if (topIndefinite && initial === BREAK) {
      at++;
      depth--;
      continue;
    }
    const major = initial >> 5;
    const info = initial & 0x1f;
    const headAt = at;
    at++;
    let argument = info;
    if (info >= 24 && info <= 27) {
      const size = 1 << (info - 24);
      if (at + size > length) return `truncated: the head at byte ${headAt} needs ${size} more bytes`;
      argument = 0;
      // Read as a float sum, not with bit operations: 8-byte lengths pass 2^32, and any length
      // past the payload's own is refused just below, so precision beyond 2^53 does not matter.
      for (let k = 0; k < size; k++) argument = argument * 256 + (bytes[at + k] as number);
      at += size;
    } else if (info >= 28 && info <= 30) {
      return `reserved additional information ${info} at byte ${headAt}`;
    }
    if (depth === 0) items--;
    else if (!topIndefinite) (remainingAt[depth - 1] as number)--;
    switch (major) {
      case MAJOR_UNSIGNED:
      case MAJOR_NEGATIVE:
        if (info === INDEFINITE) return `an integer with indefinite length at byte ${headAt}`;
        break;
      case MAJOR_BYTES:
      case MAJOR_TEXT:
        if (info === INDEFINITE) {
          // Chunks of the same major type follow until a break; each is checked as an item.
          if (depth >= MAX_CBOR_NESTING) return nestingProblem(headAt);
          remainingAt[depth] = Number.POSITIVE_INFINITY;
          indefiniteAt[depth] = 1;
          depth++;
          break;
        }
        if (argument > length - at) {
          return `truncated: a string of ${argument} bytes at byte ${headAt} passes the end of the payload`;
        }
        at += argument;
        break;
      case MAJOR_ARRAY:
      case MAJOR_MAP: {
        if (depth >= MAX_CBOR_NESTING) return nestingProblem(headAt);
        if (info === INDEFINITE) {
          remainingAt[depth] = Number.POSITIVE_INFINITY;
          indefiniteAt[depth] = 1;
          depth++;
          break;
        }
        const count = major === MAJOR_MAP ? argument * 2 : argument;
        // Each item takes at least one byte: a count past the rest of the payload is a lie.
        if (count > length - at) {
          return `truncated: ${argument} ${major === MAJOR_MAP ? 'entries' : 'items'} announced at byte ${headAt}, more than the payload holds`;
        }
        remainingAt[depth] = count;
        indefiniteAt[depth] = 0;
        depth++;
        break;
      }
      case MAJOR_TAG:
        return `tag ${argument} at byte ${headAt} is not used by this protocol (it carries only maps, arrays, text, numbers, booleans and null)`;
      default:
        if (info === INDEFINITE) return `a break outside an indefinite-length item at byte ${headAt}`;
        if (((ALLOWED_SIMPLE_MASK >>> info) & 1) === 0) {
          return `simple value ${info < 24 ? info : argument} at byte ${headAt} is not used by this protocol`;
        }
    }
  }
  if (at !== length) return `${length - at} bytes after the end of the message at byte ${at}`;
  return null;
}

function nestingProblem(at: number): string {
  return `arrays and maps nested deeper than ${MAX_CBOR_NESTING} levels at byte ${at}`;
}
