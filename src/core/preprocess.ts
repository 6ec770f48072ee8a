import type { FrameImage } from './types.js';

/**
 * Frame preprocessing before detection, as the design does it with OpenCV:
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

/** Round half to even and clamp to 0–255, like OpenCV's `saturate_cast<uchar>`. */
function saturate(v: number): number {
  if (v <= 0) return 0;
  if (v >= 255) return 255;
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 === 1 ? r - 1 : r;
}

/** `convertScaleAbs` as a lookup table: |v·alpha + beta|, saturated. */
export function contrastTable(alpha: number, beta: number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = saturate(Math.abs(v * alpha + beta));
  return lut;
}

export function gaussianBlur(image: FrameImage, ksize: number): FrameImage {
  const { width: w, height: h, data } = image;
  const k = gaussianKernel(ksize);
  const half = (ksize - 1) / 2;
  const tmp = new Float32Array(w * h * 3);
  // Horizontal pass; columns near the edges use reflected indices.
  const cols = new Int32Array(ksize * w);
  for (let x = 0; x < w; x++) for (let t = 0; t < ksize; t++) cols[x * ksize + t] = reflect101(x + t - half, w) * 3;
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < w; x++) {
      let r = 0, g = 0, b = 0;
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
  // Vertical pass.
  const out = new Uint8Array(w * h * 3);
  const stride = w * 3;
  const rows = new Int32Array(ksize);
  for (let y = 0; y < h; y++) {
    for (let t = 0; t < ksize; t++) rows[t] = reflect101(y + t - half, h) * stride;
    const o = y * stride;
    for (let i = 0; i < stride; i++) {
      let s = 0;
      for (let t = 0; t < ksize; t++) s += tmp[rows[t]! + i]! * k[t]!;
      out[o + i] = saturate(s);
    }
  }
  return { width: w, height: h, data: out };
}

export function applyContrast(image: FrameImage, alpha: number, beta: number): FrameImage {
  const lut = contrastTable(alpha, beta);
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = lut[image.data[i]!]!;
  return { width: image.width, height: image.height, data: out };
}

export function preprocess(image: FrameImage, opts: PreprocessOptions): FrameImage {
  let out = image;
  if (opts.blur.enabled && opts.blur.ksize > 1) out = gaussianBlur(out, opts.blur.ksize);
  if (opts.contrast.enabled) out = applyContrast(out, opts.contrast.alpha, opts.contrast.beta);
  return out;
}
