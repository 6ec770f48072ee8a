/**
 * IEEE 754 half precision (binary16) ⇄ numbers, for models with float16 inputs or outputs: Node 20
 * has no Float16Array, so onnxruntime takes and returns float16 tensors as Uint16Array bit patterns.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The half-precision bits nearest to `v` (round half to even; overflow → ±Infinity, NaN stays NaN).
 * `v` is first rounded to float32, which is exact for every value this module is used with.
 */
export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  // Normal halves drop 13 mantissa bits; subnormals (e ≤ 0) also shift in the implicit 1.
  const shift = e > 0 ? 13 : 14 - e;
  if (shift > 24) return sign; // below half the smallest subnormal: ±0
  const m = e > 0 ? mant : mant | 0x800000;
  let h = (e > 0 ? e << 10 : 0) | (m >>> shift);
  const rest = m & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  // A carry out of the mantissa bumps the exponent, which is exactly the right rounding.
  if (rest > halfway || (rest === halfway && (h & 1) === 1)) h++;
  return sign | h;
}

/** The value of half-precision bits `h`. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

let table: Float32Array | undefined;

/** Every element of a float16 tensor's bits as a number (via a 64K lookup table built once). */
export function halfsToFloats(bits: Uint16Array): Float32Array {
  if (!table) {
    table = new Float32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) table[h] = fromHalf(h);
  }
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}
