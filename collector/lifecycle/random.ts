// Seeded random numbers and the samplers the Monte Carlo needs, written here rather than taken from
// a package: they fill Float64Arrays in tight loops (no per-draw allocation, no callbacks), which is
// what makes millions of samples per second on one core possible, and the exact sequence for a seed
// is ours to keep stable across versions and platforms (Math.random cannot be seeded).
// Generator: xoshiro128** (Blackman & Vigna), seeded through splitmix32; 32-bit integer arithmetic
// with Math.imul, so it is exact in JavaScript.

const TWO_POW_32 = 4294967296;

/** splitmix32 step: spreads a seed over the state words, so nearby seeds give unrelated streams. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a hash of a string: one independent stream per parameter id. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    const state = { s: (seed ^ Math.imul(stream, 0x27d4eb2f)) | 0 };
    this.a = splitmix32(state);
    this.b = splitmix32(state);
    this.c = splitmix32(state);
    this.d = splitmix32(state);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in the open interval (0, 1): never 0, so log() is always finite. */
  next(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }

  /** Fills with uniforms in (0, 1); the state lives in locals for the loop (the hot path). */
  fillUniform(out: Float64Array): Float64Array {
    let a = this.a;
    let b = this.b;
    let c = this.c;
    let d = this.d;
    for (let i = 0; i < out.length; i++) {
      const x = Math.imul(b, 5);
      const r = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = (d << 11) | (d >>> 21);
      out[i] = (r + 0.5) / TWO_POW_32;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Triangular(low, mode, high) by inverse CDF. */
export function fillTriangular(rng: Xoshiro128, out: Float64Array, low: number, mode: number, high: number) {
  rng.fillUniform(out);
  const width = high - low;
  const split = (mode - low) / width;
  const left = width * (mode - low);
  const right = width * (high - mode);
  for (let i = 0; i < out.length; i++) {
    const u = out[i] as number;
    out[i] = u < split ? low + Math.sqrt(u * left) : high - Math.sqrt((1 - u) * right);
  }
  return out;
}

export function fillUniformRange(rng: Xoshiro128, out: Float64Array, low: number, high: number) {
  rng.fillUniform(out);
  const width = high - low;
  for (let i = 0; i < out.length; i++) out[i] = low + (out[i] as number) * width;
  return out;
}

/** Standard normals by Box-Muller: uniforms (u1, u2) of each pair become two normals. */
export function fillStandardNormal(rng: Xoshiro128, out: Float64Array): Float64Array {
  rng.fillUniform(out);
  const n = out.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(out[i] as number));
    const theta = 2 * Math.PI * (out[i + 1] as number);
    out[i] = r * Math.cos(theta);
    out[i + 1] = r * Math.sin(theta);
  }
  if (i < n) out[i] = Math.sqrt(-2 * Math.log(out[i] as number)) * Math.cos(2 * Math.PI * rng.next());
  return out;
}

/** Lognormal with the given median and log-space standard deviation. */
export function fillLognormal(rng: Xoshiro128, out: Float64Array, median: number, sigma: number) {
  fillStandardNormal(rng, out);
  const mu = Math.log(median);
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(mu + sigma * (out[i] as number));
  return out;
}

/** Normal(mean, sd) cut to [floor, ceiling] (an energy cannot be negative, an accuracy above 1). */
export function fillNormal(
  rng: Xoshiro128,
  out: Float64Array,
  mean: number,
  sd: number,
  floor: number,
  ceiling: number,
) {
  fillStandardNormal(rng, out);
  for (let i = 0; i < out.length; i++) {
    const x = mean + sd * (out[i] as number);
    out[i] = x < floor ? floor : x > ceiling ? ceiling : x;
  }
  return out;
}
