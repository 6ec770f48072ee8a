import type { FrameImage } from '../core/types.js';
import type { PreprocessOptions } from '../core/preprocess.js';

/** What to do to a frame before it goes to inference. */
export interface FramePreparation {
  /** The design's preprocessing (blur, contrast), on the frame at its decoded size. */
  preprocess: PreprocessOptions;
  /** Then, where given and different from the frame's, the size to resize it to (see `travelSize`). */
  size?: { width: number; height: number };
}

/**
 * FramePreparer: a decoded frame → the frame the runner sends to inference.
 * An instance is used from one thread.
 */
export interface FramePreparer {
  /**
   * Applies `preprocess` to the whole frame — OpenCV's `GaussianBlur(k×k, sigma 0)`, then
   * `convertScaleAbs(alpha, beta)`, each equal to OpenCV's within ±1 per channel (the SIMD adapter
   * and the reference are bit-exact on the default 3×3) — then resizes the result to `size` with
   * OpenCV's `resize(INTER_LINEAR)` (within ±1), and returns the new frame. It never modifies
   * `frame`; the result's pixels are written into `into` when that is exactly their size (a caller
   * reusing buffers), else into a new buffer; either way no later call changes them. Synchronous
   * and CPU-bound (about 2 ms for a 768×576 frame with the SIMD adapter).
   */
  prepare(frame: FrameImage, preparation: FramePreparation, into?: Uint8Array): FrameImage;
}
