import type { FramePreparation, FramePreparer } from '../../ports/frame-preparer.js';
import type { FrameImage } from '../../core/types.js';
import { preprocess } from '../../core/preprocess.js';
import { linearTaps } from '../frame-kernels/wasm-kernels.js';

/**
 * FramePreparer in plain TypeScript: the reference the SIMD adapter is checked against, written
 * for reading rather than speed (about 20 ms a 768×576 frame).
 */
export class TypeScriptFramePreparer implements FramePreparer {
  prepare(frame: FrameImage, p: FramePreparation, into?: Uint8Array): FrameImage {
    const pre = preprocess(frame, p.preprocess);
    const out = p.size && (p.size.width !== frame.width || p.size.height !== frame.height) ? resizeLinear(pre, p.size.width, p.size.height) : pre;
    if (into?.length === out.data.length) {
      into.set(out.data);
      return { ...out, data: into };
    }
    return out === frame ? { ...frame, data: frame.data.slice() } : out;
  }
}

/**
 * OpenCV's `resize(INTER_LINEAR)` of packed RGB in its fixed point: 11-bit weights per axis
 * (`linearTaps`), the horizontal pass into integer sums first, then the vertical pass, the sum of
 * the four products rounded half up (`(Σ + 2^21) >> 22`).
 */
export function resizeLinear(frame: FrameImage, width: number, height: number): FrameImage {
  const x = linearTaps(frame.width, width);
  const y = linearTaps(frame.height, height);
  const sw = frame.width;
  const rows = new Map<number, Int32Array>();
  const horizontal = (sy: number): Int32Array => {
    let row = rows.get(sy);
    if (!row) {
      row = new Int32Array(width * 3);
      for (let dx = 0; dx < width; dx++) {
        const s0 = x.index[dx]!;
        const s1 = Math.min(s0 + 1, sw - 1);
        for (let c = 0; c < 3; c++) {
          row[dx * 3 + c] = frame.data[(sy * sw + s0) * 3 + c]! * x.weights[2 * dx]! + frame.data[(sy * sw + s1) * 3 + c]! * x.weights[2 * dx + 1]!;
        }
      }
      rows.set(sy, row);
    }
    return row;
  };
  const out = new Uint8Array(width * height * 3);
  for (let dy = 0; dy < height; dy++) {
    const s0 = y.index[dy]!;
    const r0 = horizontal(s0);
    const r1 = horizontal(Math.min(s0 + 1, frame.height - 1));
    const b0 = y.weights[2 * dy]!;
    const b1 = y.weights[2 * dy + 1]!;
    for (let i = 0; i < width * 3; i++) out[dy * width * 3 + i] = (r0[i]! * b0 + r1[i]! * b1 + (1 << 21)) >> 22;
    rows.delete(s0 - 1);
  }
  return { width, height, data: out };
}
