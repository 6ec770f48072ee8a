import type { FrameImage } from './types.js';

/**
 * Frame preprocessing before detection, as the design (docs/architecture.md) does it with OpenCV:
 * `cv2.GaussianBlur(frame, (k, k), 0)` then `cv2.convertScaleAbs(frame, alpha, beta)`.
 * Each step can be switched off. Output is a new image; the input is not modified.
 */
export interface PreprocessOptions {
  blur: { enabled: boolean; ksize: number };
  contrast: { enabled: boolean; alpha: number; beta: number };
}

/** OpenCV's 1-D Gaussian kernel for sigma 0: fixed tables up to 7 taps, else from sigma. */
export function gaussianKernel(ksize: number): Float64Array {
  if (ksize < 1 || ksize % 2 === 0) throw new RangeError(`blur kernel size must be odd and positive, got ${ksize}`);
  const fixed: Record<number, number[]> = {
    1: [1],
    3: [0.25, 0.5, 0.25],
    5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
    7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
  };
  const table = fixed[ksize];
  if (table) return Float64Array.from(table);
  const sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8;
  const half = (ksize - 1) / 2;
  const k = new Float64Array(ksize);
  let sum = 0;
  for (let i = 0; i < ksize; i++) {
    const x = i - half;
    k[i] = Math.exp(-(x * x) / (2 * sigma * sigma));
    sum += k[i]!;
  }
  for (let i = 0; i < ksize; i++) k[i]! /= sum;
  return k;
}

/** OpenCV's BORDER_REFLECT_101: …2 1 | 0 1 2 … n-1 | n-2 n-3… */
function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

/** Round half to even and clamp to 0–255, like OpenCV's `saturate_cast<uchar>` of a float. */
function saturate(v: number): number {
  if (v <= 0) return 0;
  if (v >= 255) return 255;
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 === 1 ? r - 1 : r;
}

/**
 * `convertScaleAbs` as a lookup table: |v·alpha + beta|, saturated — as OpenCV computes it for
 * 8-bit images: alpha and beta are float32, and v·alpha + beta is a fused multiply-add (one
 * rounding, to float32). The product of a byte and a float32 is exact in double, and so is the
 * sum for any sensible alpha, so rounding the double once to float32 is the same. (In double
 * arithmetic about 1 value in 60 of a real frame came out one off; with two float32 roundings a
 * few values of some alpha/beta pairs did.)
 */
export function contrastTable(alpha: number, beta: number): Uint8Array {
  const a = Math.fround(alpha);
  const b = Math.fround(beta);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = saturate(Math.abs(Math.fround(v * a + b)));
  return lut;
}

/**
 * The 1-D kernel in OpenCV's fixed point (8 fractional bits, as its bit-exact 8-bit GaussianBlur):
 * exact for its tabulated kernels; a computed kernel's rounding error goes to the centre tap so the
 * weights still sum to 256 (a flat image stays flat).
 */
export function fixedPointKernel(ksize: number): Int32Array {
  const k = gaussianKernel(ksize);
  const q = Int32Array.from(k, (v) => Math.round(v * 256));
  const sum = q.reduce((a, b) => a + b, 0);
  q[(ksize - 1) / 2]! += 256 - sum;
  return q;
}

/**
 * Separable Gaussian blur in integers: horizontal pass into 32-bit sums (×256), vertical pass
 * (×65536), rounded half up, then `lut` (identity or the contrast table) — the contrast step is
 * fused in so each byte is written once.
 */
function blurFixed(image: FrameImage, ksize: number, lut: Uint8Array): FrameImage {
  const { width: w, height: h, data } = image;
  const k = fixedPointKernel(ksize);
  const half = (ksize - 1) / 2;
  const stride = w * 3;
  const tmp = new Int32Array(w * h * 3);
  const cols = new Int32Array(ksize * w);
  for (let x = 0; x < w; x++) for (let t = 0; t < ksize; t++) cols[x * ksize + t] = reflect101(x + t - half, w) * 3;
  for (let y = 0; y < h; y++) {
    const row = y * stride;
    if (ksize === 3 && w >= 2) {
      // Unrolled default kernel: interior pixels read their neighbours directly.
      const k0 = k[0]!,
        k1 = k[1]!,
        k2 = k[2]!;
      for (let i = 3; i < stride - 3; i++) tmp[row + i] = data[row + i - 3]! * k0 + data[row + i]! * k1 + data[row + i + 3]! * k2;
      for (let c = 0; c < 3; c++) {
        tmp[row + c] = data[row + 3 + c]! * k0 + data[row + c]! * k1 + data[row + 3 + c]! * k2;
        const e = row + stride - 3 + c;
        tmp[e] = data[e - 3]! * k0 + data[e]! * k1 + data[e - 3]! * k2;
      }
      continue;
    }
    for (let x = 0; x < w; x++) {
      let r = 0,
        g = 0,
        b = 0;
      for (let t = 0; t < ksize; t++) {
        const p = row + cols[x * ksize + t]!;
        const kt = k[t]!;
        r += data[p]! * kt;
        g += data[p + 1]! * kt;
        b += data[p + 2]! * kt;
      }
      const o = row + x * 3;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  const out = new Uint8Array(w * h * 3);
  const rows = new Int32Array(ksize);
  for (let y = 0; y < h; y++) {
    for (let t = 0; t < ksize; t++) rows[t] = reflect101(y + t - half, h) * stride;
    const o = y * stride;
    if (ksize === 3) {
      // The default kernel, unrolled: most frames take this path.
      const r0 = rows[0]!,
        r1 = rows[1]!,
        r2 = rows[2]!;
      const k0 = k[0]!,
        k1 = k[1]!,
        k2 = k[2]!;
      for (let i = 0; i < stride; i++) out[o + i] = lut[Math.min(255, (tmp[r0 + i]! * k0 + tmp[r1 + i]! * k1 + tmp[r2 + i]! * k2 + 32768) >> 16)]!;
    } else {
      for (let i = 0; i < stride; i++) {
        let s = 0;
        for (let t = 0; t < ksize; t++) s += tmp[rows[t]! + i]! * k[t]!;
        out[o + i] = lut[Math.min(255, (s + 32768) >> 16)]!;
      }
    }
  }
  return { width: w, height: h, data: out };
}

const IDENTITY = Uint8Array.from({ length: 256 }, (_, i) => i);

export function gaussianBlur(image: FrameImage, ksize: number): FrameImage {
  return blurFixed(image, ksize, IDENTITY);
}

export function applyContrast(image: FrameImage, alpha: number, beta: number): FrameImage {
  const lut = contrastTable(alpha, beta);
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = lut[image.data[i]!]!;
  return { width: image.width, height: image.height, data: out };
}

export function preprocess(image: FrameImage, opts: PreprocessOptions): FrameImage {
  const blur = opts.blur.enabled && opts.blur.ksize > 1;
  const lut = opts.contrast.enabled ? contrastTable(opts.contrast.alpha, opts.contrast.beta) : undefined;
  if (blur) return blurFixed(image, opts.blur.ksize, lut ?? IDENTITY);
  return lut ? applyContrast(image, opts.contrast.alpha, opts.contrast.beta) : image;
}
