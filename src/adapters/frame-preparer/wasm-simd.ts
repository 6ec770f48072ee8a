import type { FramePreparation, FramePreparer } from '../../ports/frame-preparer.js';
import type { FrameImage } from '../../core/types.js';
import { preprocess } from '../../core/preprocess.js';
import { canPreprocess, FrameKernels } from '../frame-kernels/wasm-kernels.js';

/**
 * FramePreparer on the SIMD frame kernels (WebAssembly): preprocessing and resize in one pass over
 * the frame's memory. A blur other than 3×3 (a setting nobody has changed yet) is done by the
 * TypeScript reference (`core/preprocess.ts`), then resized by the kernels.
 */
export class WasmFramePreparer implements FramePreparer {
  private readonly kernels = FrameKernels.create();

  prepare(frame: FrameImage, p: FramePreparation, into?: Uint8Array): FrameImage {
    if (canPreprocess(p.preprocess)) return this.kernels.prepare(frame, p.preprocess, p.size, into);
    return this.kernels.prepare(preprocess(frame, p.preprocess), NONE, p.size, into);
  }
}

const NONE = { blur: { enabled: false, ksize: 1 }, contrast: { enabled: false, alpha: 1, beta: 0 } };
