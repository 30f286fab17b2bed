// How an error message shows a value from an untrusted payload: scalars as themselves, a string
// by its start and length, arrays and maps by their type and size only. Never walks into a
// value: a decoded payload may be a DAG (CBOR value sharing) whose JSON text is exponential in
// its byte size, and a message naming a field and a type says enough to fix the sender.

/** Characters of a string shown before it is cut. */
const SHOWN_STRING_CHARACTERS = 32;

/** A short, bounded description of `value`; O(1) for every type but plain objects (O(keys)). */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
    case 'bigint':
    case 'boolean':
    case 'undefined':
      // String() shows NaN, ±Infinity and BigInts as such (JSON.stringify shows null or throws).
      return String(value);
    case 'string':
      return value.length <= SHOWN_STRING_CHARACTERS
        ? JSON.stringify(value)
        : `${JSON.stringify(value.slice(0, SHOWN_STRING_CHARACTERS))}… (${value.length} characters)`;
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `an array of ${value.length} items`;
      if (ArrayBuffer.isView(value)) return `a byte string of ${value.byteLength} bytes`;
      return Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null
        ? `a map of ${Object.keys(value).length} keys`
        : `an object of class ${(value as object).constructor?.name ?? 'unknown'}`;
    default:
      return `a ${typeof value}`;
  }
}
