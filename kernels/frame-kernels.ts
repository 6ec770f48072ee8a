// Framewise's frame kernels, in AssemblyScript, compiled to WebAssembly with 128-bit SIMD
// (`npm run build:kernels`; the module is embedded in src/adapters/frame-kernels/kernels-wasm.ts).
//
// Every buffer is a byte offset into this module's memory, which the host
// (src/adapters/frame-kernels/wasm-kernels.ts) lays out: frames are tightly packed 8-bit RGB rows,
// and each input buffer has at least 64 guard bytes before and after it, because vector loads
// read up to 19 bytes past either end of a row (their results there are overwritten by the
// scalar edge code). Nothing here allocates; no function keeps state between calls.
//
// What each kernel computes is exactly what OpenCV computes for the same call (see each one);
// test/unit/frame-kernels.test.ts checks them against the pure TypeScript reference and
// test/adapters/frame-preparer-opencv.test.ts against OpenCV itself.

/** OpenCV's BORDER_REFLECT_101 for one step outside [0, n): -1 → 1, n → n - 2. */
@inline function reflect101(i: i32, n: i32): i32 {
  if (n == 1) return 0;
  return i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;
}

/**
 * One row's horizontal pass of the 3×3 Gaussian (OpenCV's fixed taps 1 2 1, BORDER_REFLECT_101):
 * `dst[i] = src[i-3] + 2·src[i] + src[i+3]` as u16, per channel of packed RGB.
 */
function blurRow(src: usize, dst: usize, stride: i32): void {
  let i = 0;
  for (; i + 16 <= stride; i += 16) {
    const a = v128.load(src + <usize>i - 3);
    const b = v128.load(src + <usize>i);
    const c = v128.load(src + <usize>i + 3);
    const lo = i16x8.add(i16x8.add(i16x8.extend_low_i8x16_u(a), i16x8.extend_low_i8x16_u(c)), i16x8.shl(i16x8.extend_low_i8x16_u(b), 1));
    const hi = i16x8.add(i16x8.add(i16x8.extend_high_i8x16_u(a), i16x8.extend_high_i8x16_u(c)), i16x8.shl(i16x8.extend_high_i8x16_u(b), 1));
    v128.store(dst + (<usize>i << 1), lo);
    v128.store(dst + (<usize>i << 1), hi, 16);
  }
  for (; i < stride; i++) {
    store<u16>(dst + (<usize>i << 1), <u16>(<i32>load<u8>(src + <usize>i - 3) + 2 * <i32>load<u8>(src + <usize>i) + <i32>load<u8>(src + <usize>i + 3)));
  }
  // The first and last pixel: their outside neighbour is the pixel on their inside (reflect 101).
  const width = stride / 3;
  for (let c = 0; c < 3; c++) {
    const first = <usize>(reflect101(1, width) * 3 + c);
    store<u16>(dst + (<usize>c << 1), <u16>(2 * <i32>load<u8>(src + first) + 2 * <i32>load<u8>(src + <usize>c)));
    const e = stride - 3 + c;
    const inner = <usize>(reflect101(width - 2, width) * 3 + c);
    store<u16>(dst + (<usize>e << 1), <u16>(2 * <i32>load<u8>(src + inner) + 2 * <i32>load<u8>(src + <usize>e)));
  }
}

/**
 * `convertScaleAbs` of 4 lanes: |v·alpha + beta| rounded once to float32 (OpenCV computes it with a
 * fused multiply-add: the product of an 8-bit value and a float32 alpha, plus a float32 beta, is
 * exact in float64, so computing there and narrowing once is the same), then rounded half to
 * even, as i32. `alpha` and `beta` are float64 lanes of the float32 values.
 */
@inline function scaleAbs4(v: v128, alpha: v128, beta: v128): v128 {
  const lo = f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(v), alpha), beta));
  const high = i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
  const hi = f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(high), alpha), beta));
  const x = i8x16.shuffle(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.abs(x)));
}

/** 16 u8 lanes held as two i16x8 (0–255) → contrast → 16 saturated u8. */
@inline function scaleAbs16(lo: v128, hi: v128, alpha: v128, beta: v128): v128 {
  const f0 = scaleAbs4(i32x4.extend_low_i16x8_u(lo), alpha, beta);
  const f1 = scaleAbs4(i32x4.extend_high_i16x8_u(lo), alpha, beta);
  const f2 = scaleAbs4(i32x4.extend_low_i16x8_u(hi), alpha, beta);
  const f3 = scaleAbs4(i32x4.extend_high_i16x8_u(hi), alpha, beta);
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(f0, f1), i16x8.narrow_i32x4_s(f2, f3));
}

/** 2^23 as float32: adding it rounds a float32 in [0, 2^23) half to even, at bit 0 of its mantissa. */
const MAGIC: f32 = 8388608.0;

/**
 * The contrast of 4 lanes (0–255) in float32: `|v·alpha + beta|` with two roundings (product, then
 * sum) where `scaleAbs4` rounds once; rounded half to even and made an integer by adding 2^23 and
 * subtracting its bits. Only used where the host has checked it equal to `scaleAbs4` for every
 * value 0–255 (see `FrameKernels.float32Contrast`): a third of the float64 path's instructions.
 */
@inline function scaleAbs4f(v: v128, alpha: v128, beta: v128, magic: v128, magicBits: v128): v128 {
  const x = f32x4.abs(f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(v), alpha), beta));
  // Past 2^23 the trick fails; such values saturate to 255 anyway.
  return i32x4.sub(f32x4.add(f32x4.min(x, f32x4.splat(4096)), magic), magicBits);
}

/** `scaleAbs16` in float32 (see `scaleAbs4f`). */
@inline function scaleAbs16f(lo: v128, hi: v128, alpha: v128, beta: v128): v128 {
  const magic = f32x4.splat(MAGIC);
  const bits = i32x4.splat(0x4b000000);
  const f0 = scaleAbs4f(i32x4.extend_low_i16x8_u(lo), alpha, beta, magic, bits);
  const f1 = scaleAbs4f(i32x4.extend_high_i16x8_u(lo), alpha, beta, magic, bits);
  const f2 = scaleAbs4f(i32x4.extend_low_i16x8_u(hi), alpha, beta, magic, bits);
  const f3 = scaleAbs4f(i32x4.extend_high_i16x8_u(hi), alpha, beta, magic, bits);
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(f0, f1), i16x8.narrow_i32x4_s(f2, f3));
}

@inline function scaleAbs1(v: i32, alpha: f32, beta: f32): u8 {
  const r = nearest<f32>(Mathf.abs(<f32>(<f64>v * <f64>alpha + <f64>beta)));
  return <u8>(r >= 255 ? 255 : r);
}

/**
 * The design's preprocessing of one frame, `w`×`h` packed RGB at `src` into `dst` (same size):
 * `blur` → OpenCV's `GaussianBlur(ksize 3×3, sigma 0)` for 8-bit images (taps 1 2 1 in each
 * direction, sum rounded half up, BORDER_REFLECT_101 — bit-exact), then `contrast` →
 * `convertScaleAbs(alpha, beta)` (a float32 fused multiply-add, absolute value, rounded half to
 * even, saturated). `rows` is scratch for three rows of u16 sums: 3 × (6·w + 32) bytes.
 * `float32`: the vector lanes' contrast is `scaleAbs16f`, which the host uses only where it gives
 * the same bytes; the scalar tails always take the exact path.
 */
export function preprocess(src: usize, dst: usize, rows: usize, w: i32, h: i32, blur: bool, contrast: bool, alpha: f32, beta: f32, float32: bool): void {
  const stride = w * 3;
  const va = f64x2.splat(<f64>alpha);
  const vb = f64x2.splat(<f64>beta);
  const fa = f32x4.splat(alpha);
  const fb = f32x4.splat(beta);
  if (!blur) {
    if (!contrast) {
      memory.copy(dst, src, <usize>(stride * h));
      return;
    }
    const n = stride * h;
    let i = 0;
    if (float32) {
      for (; i + 16 <= n; i += 16) {
        const v = v128.load(src + <usize>i);
        v128.store(dst + <usize>i, scaleAbs16f(i16x8.extend_low_i8x16_u(v), i16x8.extend_high_i8x16_u(v), fa, fb));
      }
    } else {
      for (; i + 16 <= n; i += 16) {
        const v = v128.load(src + <usize>i);
        v128.store(dst + <usize>i, scaleAbs16(i16x8.extend_low_i8x16_u(v), i16x8.extend_high_i8x16_u(v), va, vb));
      }
    }
    for (; i < n; i++) store<u8>(dst + <usize>i, scaleAbs1(<i32>load<u8>(src + <usize>i), alpha, beta));
    return;
  }
  const rowBytes = <usize>(stride * 2 + 32);
  const eight = i16x8.splat(8);
  // Row r's horizontal sums live in ring slot r % 3; row y needs rows y-1, y, y+1 (reflected).
  blurRow(src, rows, stride);
  if (h > 1) blurRow(src + <usize>stride, rows + rowBytes, stride);
  for (let y = 0; y < h; y++) {
    if (y + 1 < h && y >= 1) blurRow(src + <usize>((y + 1) * stride), rows + <usize>((y + 1) % 3) * rowBytes, stride);
    const r0 = rows + <usize>(reflect101(y - 1, h) % 3) * rowBytes;
    const r1 = rows + <usize>(y % 3) * rowBytes;
    const r2 = rows + <usize>(reflect101(y + 1, h) % 3) * rowBytes;
    const out = dst + <usize>(y * stride);
    let i = 0;
    for (; i + 16 <= stride; i += 16) {
      const o = <usize>i << 1;
      const lo = i16x8.shr_u(i16x8.add(i16x8.add(i16x8.add(v128.load(r0 + o), v128.load(r2 + o)), i16x8.shl(v128.load(r1 + o), 1)), eight), 4);
      const hi = i16x8.shr_u(i16x8.add(i16x8.add(i16x8.add(v128.load(r0 + o, 16), v128.load(r2 + o, 16)), i16x8.shl(v128.load(r1 + o, 16), 1)), eight), 4);
      v128.store(out + <usize>i, !contrast ? i8x16.narrow_i16x8_u(lo, hi) : float32 ? scaleAbs16f(lo, hi, fa, fb) : scaleAbs16(lo, hi, va, vb));
    }
    for (; i < stride; i++) {
      const o = <usize>i << 1;
      const s = (<i32>load<u16>(r0 + o) + 2 * <i32>load<u16>(r1 + o) + <i32>load<u16>(r2 + o) + 8) >> 4;
      store<u8>(out + <usize>i, contrast ? scaleAbs1(s, alpha, beta) : <u8>s);
    }
  }
}

/** Bytes of one horizontal block's table (see `resizeLinear`). */
const BLOCK = 160;

/**
 * One source row's horizontal pass: packed RGB bytes at `row` → i32 sums `s0·a0 + s1·a1` per output
 * value at `out` (OpenCV's 11-bit weights). Output values come in blocks (the host's table at
 * `blocks`, `BLOCK` bytes each): a block's source bytes lie in one 32-byte window, whose byte
 * offset is the table's first i32; four swizzle masks pick each output lane's left and right source
 * byte from the window's two vectors, and two pairs of i16x8 hold the lanes' weights. A block
 * stores 16 lanes, `per` of them real: the next block overwrites the rest.
 */
function resizeRow(row: usize, out: usize, blocks: usize, count: i32, per: i32): void {
  for (let b = 0; b < count; b++) {
    const t = blocks + <usize>(b * BLOCK);
    const w = row + <usize>load<i32>(t);
    const v0 = v128.load(w);
    const v1 = v128.load(w, 16);
    const left = v128.or(i8x16.swizzle(v0, v128.load(t, 16)), i8x16.swizzle(v1, v128.load(t, 32)));
    const right = v128.or(i8x16.swizzle(v0, v128.load(t, 48)), i8x16.swizzle(v1, v128.load(t, 64)));
    const ll = i16x8.extend_low_i8x16_u(left);
    const lh = i16x8.extend_high_i8x16_u(left);
    const rl = i16x8.extend_low_i8x16_u(right);
    const rh = i16x8.extend_high_i8x16_u(right);
    const a0l = v128.load(t, 80);
    const a0h = v128.load(t, 96);
    const a1l = v128.load(t, 112);
    const a1h = v128.load(t, 128);
    const o = out + (<usize>(b * per) << 2);
    v128.store(o, i32x4.add(i32x4.extmul_low_i16x8_u(ll, a0l), i32x4.extmul_low_i16x8_u(rl, a1l)));
    v128.store(o, i32x4.add(i32x4.extmul_high_i16x8_u(ll, a0l), i32x4.extmul_high_i16x8_u(rl, a1l)), 16);
    v128.store(o, i32x4.add(i32x4.extmul_low_i16x8_u(lh, a0h), i32x4.extmul_low_i16x8_u(rh, a1h)), 32);
    v128.store(o, i32x4.add(i32x4.extmul_high_i16x8_u(lh, a0h), i32x4.extmul_high_i16x8_u(rh, a1h)), 48);
  }
}

/**
 * OpenCV's `resize(INTER_LINEAR)` of packed RGB, `sw`×`sh` at `src` → `dw`×`dh` at `dst`, in its
 * fixed point: 11-bit weights per axis, the sum of the four products rounded half up
 * (`(Σ + 2^21) >> 22`). The host computes the taps exactly as OpenCV does (see `linearTaps`):
 * the horizontal ones as `count` blocks of `per` output values (see `resizeRow`), per output row
 * `yofs` (i32 source row) and `ybeta` (i32 weight pairs; a tap past the edge weighs 0).
 * `hrows` is scratch for two rows of horizontal sums: 2 × (4·(3·dw + 16)) bytes.
 */
export function resizeLinear(
  src: usize, sw: i32, sh: i32, dst: usize, dw: i32, dh: i32,
  blocks: usize, count: i32, per: i32, yofs: usize, ybeta: usize, hrows: usize,
): void {
  const sstride = <usize>(sw * 3);
  const n = dw * 3;
  const rowBytes = <usize>((n + 16) << 2);
  // The source rows whose sums the two scratch rows hold (-1: none yet). Rows move down
  // monotonically, so most output rows reuse one or both.
  const slot0 = hrows;
  const slot1 = hrows + rowBytes;
  let tag0 = -1;
  let tag1 = -1;
  const half = i32x4.splat(1 << 21);
  for (let dy = 0; dy < dh; dy++) {
    const sy = load<i32>(yofs + (<usize>dy << 2));
    const sy1 = sy + 1 < sh ? sy + 1 : sy;
    const b0 = load<i32>(ybeta + (<usize>dy << 3));
    const b1 = load<i32>(ybeta + (<usize>dy << 3), 4);
    let h0: usize;
    if (tag0 == sy) h0 = slot0;
    else if (tag1 == sy) h0 = slot1;
    else if (tag0 != sy1) {
      resizeRow(src + <usize>sy * sstride, slot0, blocks, count, per);
      tag0 = sy;
      h0 = slot0;
    } else {
      resizeRow(src + <usize>sy * sstride, slot1, blocks, count, per);
      tag1 = sy;
      h0 = slot1;
    }
    let h1: usize;
    if (tag0 == sy1) h1 = slot0;
    else if (tag1 == sy1) h1 = slot1;
    else if (h0 != slot0) {
      resizeRow(src + <usize>sy1 * sstride, slot0, blocks, count, per);
      tag0 = sy1;
      h1 = slot0;
    } else {
      resizeRow(src + <usize>sy1 * sstride, slot1, blocks, count, per);
      tag1 = sy1;
      h1 = slot1;
    }
    const B0 = i32x4.splat(b0);
    const B1 = i32x4.splat(b1);
    const out = dst + <usize>(dy * n);
    let i = 0;
    for (; i + 16 <= n; i += 16) {
      const o = <usize>i << 2;
      const q0 = i32x4.shr_s(i32x4.add(i32x4.add(i32x4.mul(v128.load(h0 + o), B0), i32x4.mul(v128.load(h1 + o), B1)), half), 22);
      const q1 = i32x4.shr_s(i32x4.add(i32x4.add(i32x4.mul(v128.load(h0 + o, 16), B0), i32x4.mul(v128.load(h1 + o, 16), B1)), half), 22);
      const q2 = i32x4.shr_s(i32x4.add(i32x4.add(i32x4.mul(v128.load(h0 + o, 32), B0), i32x4.mul(v128.load(h1 + o, 32), B1)), half), 22);
      const q3 = i32x4.shr_s(i32x4.add(i32x4.add(i32x4.mul(v128.load(h0 + o, 48), B0), i32x4.mul(v128.load(h1 + o, 48), B1)), half), 22);
      v128.store(out + <usize>i, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<u8>(out + <usize>i, <u8>((load<i32>(h0 + o) * b0 + load<i32>(h1 + o) * b1 + (1 << 21)) >> 22));
    }
  }
}

/** The swizzle masks that pick one channel of 16 packed RGB pixels out of three vectors. */
const R0 = i8x16(0, 3, 6, 9, 12, 15, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128);
const R1 = i8x16(-128, -128, -128, -128, -128, -128, 2, 5, 8, 11, 14, -128, -128, -128, -128, -128);
const R2 = i8x16(-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, 1, 4, 7, 10, 13);
const G0 = i8x16(1, 4, 7, 10, 13, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128);
const G1 = i8x16(-128, -128, -128, -128, -128, 0, 3, 6, 9, 12, 15, -128, -128, -128, -128, -128);
const G2 = i8x16(-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, 2, 5, 8, 11, 14);
const B0 = i8x16(2, 5, 8, 11, 14, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128);
const B1 = i8x16(-128, -128, -128, -128, -128, 1, 4, 7, 10, 13, -128, -128, -128, -128, -128, -128);
const B2 = i8x16(-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, 0, 3, 6, 9, 12, 15);

/** 16 u8 lanes → four f32x4 of v / 255 (float32 division, as numpy's `float32 / 255`) at `out`. */
@inline function storeNormalised(out: usize, v: v128): void {
  const d = f32x4.splat(255);
  const lo = i16x8.extend_low_i8x16_u(v);
  const hi = i16x8.extend_high_i8x16_u(v);
  v128.store(out, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)), d));
  v128.store(out, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), d), 16);
  v128.store(out, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), d), 32);
  v128.store(out, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), d), 48);
}

/**
 * A letterboxed model input: the `fw`×`fh` packed RGB frame at `src` placed at (`left`, `top`) of
 * a `w`×`h` planar float32 image at `dst` (R, G, B planes, each `w·h` floats), every value
 * `byte / 255`; the rest of the input is `pad / 255` (Ultralytics pads with 114).
 */
export function fillInput(src: usize, fw: i32, fh: i32, dst: usize, w: i32, h: i32, left: i32, top: i32, pad: i32): void {
  const plane = <usize>(w * h) << 2;
  const padValue = <f32>pad / <f32>255;
  const pv = f32x4.splat(padValue);
  // Padding: whole rows above and below, then the columns beside the frame.
  for (let c = 0; c < 3; c++) {
    const base = dst + <usize>c * plane;
    for (let y = 0; y < h; y++) {
      const row = base + (<usize>(y * w) << 2);
      if (y < top || y >= top + fh) {
        let x = 0;
        for (; x + 4 <= w; x += 4) v128.store(row + (<usize>x << 2), pv);
        for (; x < w; x++) store<f32>(row + (<usize>x << 2), padValue);
        continue;
      }
      for (let x = 0; x < left; x++) store<f32>(row + (<usize>x << 2), padValue);
      for (let x = left + fw; x < w; x++) store<f32>(row + (<usize>x << 2), padValue);
    }
  }
  for (let y = 0; y < fh; y++) {
    const s = src + <usize>(y * fw * 3);
    const o = <usize>(((top + y) * w + left) << 2);
    const r = dst + o;
    const g = r + plane;
    const b = g + plane;
    let x = 0;
    for (; x + 16 <= fw; x += 16) {
      const p = s + <usize>(x * 3);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const o4 = <usize>x << 2;
      storeNormalised(r + o4, v128.or(v128.or(i8x16.swizzle(v0, R0), i8x16.swizzle(v1, R1)), i8x16.swizzle(v2, R2)));
      storeNormalised(g + o4, v128.or(v128.or(i8x16.swizzle(v0, G0), i8x16.swizzle(v1, G1)), i8x16.swizzle(v2, G2)));
      storeNormalised(b + o4, v128.or(v128.or(i8x16.swizzle(v0, B0), i8x16.swizzle(v1, B1)), i8x16.swizzle(v2, B2)));
    }
    for (; x < fw; x++) {
      const p = s + <usize>(x * 3);
      const o4 = <usize>x << 2;
      store<f32>(r + o4, <f32>load<u8>(p) / <f32>255);
      store<f32>(g + o4, <f32>load<u8>(p, 1) / <f32>255);
      store<f32>(b + o4, <f32>load<u8>(p, 2) / <f32>255);
    }
  }
}
