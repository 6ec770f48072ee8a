/**
 * The frame kernels (kernels/frame-kernels.ts, WebAssembly with 128-bit SIMD) with their memory
 * laid out for them: the design's (docs/architecture.md) preprocessing, OpenCV's linear resize and the letterboxed model
 * input, each the same as OpenCV computes it (see the kernels), in about a millisecond per
 * 768×576 frame where plain TypeScript takes 15.
 *
 * One instance per thread (an instance's memory is not shared), used one call at a time. A call
 * copies the frame into the instance's memory and its result out again, except `fillInput`, whose
 * result stays in the instance (`inputBatch` views it) so the model reads it without a copy.
 * Memory grows to the largest frame seen and is never returned.
 */
import type { FrameImage } from '../../core/types.js';
import type { PreprocessOptions } from '../../core/preprocess.js';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

/** The part of the WebAssembly API used here (the compiler's ES2023 + Node lib declares none of it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface KernelExports {
  memory: WasmMemory;
  preprocess(src: number, dst: number, rows: number, w: number, h: number, blur: number, contrast: number, alpha: number, beta: number, float32: number): void;
  resizeLinear(
    src: number,
    sw: number,
    sh: number,
    dst: number,
    dw: number,
    dh: number,
    blocks: number,
    count: number,
    per: number,
    yofs: number,
    ybeta: number,
    hrows: number,
  ): void;
  fillInput(src: number, fw: number, fh: number, dst: number, w: number, h: number, left: number, top: number, pad: number): void;
}

/** Bytes before and after every buffer a kernel reads: its vector loads reach past row ends. */
const GUARD = 64;
const PAGE = 65536;
const align = (n: number): number => Math.ceil(n / GUARD) * GUARD;

let compiled: object | undefined;

/** OpenCV's fixed-point interpolation weights (`INTER_RESIZE_COEF_BITS` = 11). */
const COEF_SCALE = 2048;

/** Rounds half to even, as OpenCV's `cvRound`/`saturate_cast` of a float. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The taps of OpenCV's `resize(INTER_LINEAR)` along one axis, `from` source pixels to `to`: for
 * each output index the first source index and the two weights (summing to 2048). Computed as
 * OpenCV does: the source coordinate `(d + 0.5)·from/to − 0.5` in float32, clamped to the edge
 * pixel (weight 2048 on it) outside the image.
 */
export function linearTaps(from: number, to: number): { index: Int32Array; weights: Int32Array } {
  const scale = from / to;
  const index = new Int32Array(to);
  const weights = new Int32Array(to * 2);
  for (let d = 0; d < to; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (s < 0) {
      s = 0;
      f = 0;
    }
    if (s >= from - 1) {
      s = from - 1;
      f = 0;
    }
    index[d] = s;
    const w0 = roundHalfEven(Math.fround(1 - f) * COEF_SCALE);
    const w1 = roundHalfEven(f * COEF_SCALE);
    weights[2 * d] = w0;
    weights[2 * d + 1] = w1;
  }
  return { index, weights };
}

/** Bytes of one block of the horizontal resize's table (`BLOCK` in the kernels). */
const BLOCK = 160;

/** The horizontal resize's table: `count` blocks of `per` output values (see `resizeRow` in the kernels). */
export interface HorizontalBlocks {
  table: Uint8Array;
  count: number;
  per: number;
}

/**
 * The horizontal taps `from` → `to` pixels as the kernel's blocks: as many output pixels per block
 * (at most 5: 15 of the 16 lanes) as keep every block's source bytes within 32; per block the
 * window's byte offset, the swizzle masks of each lane's left and right source byte, and the
 * lanes' weights. Lanes past a block's pixels pick nothing and weigh 0.
 */
export function horizontalBlocks(from: number, to: number): HorizontalBlocks {
  const { index, weights } = linearTaps(from, to);
  const right = (d: number): number => (weights[2 * d + 1] === 0 ? index[d]! : Math.min(index[d]! + 1, from - 1));
  const fits = (p: number): boolean => {
    for (let d = 0; d < to; d += p) {
      const last = Math.min(d + p, to) - 1;
      if ((right(last) - index[d]!) * 3 + 3 > 32) return false;
    }
    return true;
  };
  let pixels = 5;
  while (pixels > 1 && !fits(pixels)) pixels--;
  const count = Math.ceil(to / pixels);
  const table = new Uint8Array(count * BLOCK);
  const view = new DataView(table.buffer);
  for (let b = 0; b < count; b++) {
    const t = b * BLOCK;
    const first = b * pixels;
    const base = index[first]! * 3;
    view.setInt32(t, base, true);
    for (let lane = 0; lane < 16; lane++) {
      const d = first + Math.floor(lane / 3);
      const c = lane % 3;
      const real = lane < pixels * 3 && d < to;
      const pick = (byte: number, at: number): void => {
        table[t + at + lane] = real && byte < 16 ? byte : 0x80;
        table[t + at + 16 + lane] = real && byte >= 16 ? byte - 16 : 0x80;
      };
      pick(real ? index[d]! * 3 + c - base : 0, 16);
      pick(real ? right(d) * 3 + c - base : 0, 48);
      view.setInt16(t + 80 + 2 * lane, real ? weights[2 * d]! : 0, true);
      view.setInt16(t + 112 + 2 * lane, real ? weights[2 * d + 1]! : 0, true);
    }
  }
  return { table, count, per: pixels * 3 };
}

/** Where a frame lands in a letterboxed model input (see `yolo/letterbox.ts`). */
export interface InputPlacement {
  /** The frame's size once scaled into the input (before padding). */
  unpadWidth: number;
  unpadHeight: number;
  left: number;
  top: number;
}

export class FrameKernels {
  private readonly k: KernelExports;
  /** Bytes at the start of memory held by the model input batch (`fillInput`). */
  private inputBytes = 0;
  private tapsCache = new Map<string, { blocks: HorizontalBlocks; y: { index: Int32Array; weights: Int32Array } }>();
  /** Whether the float32 contrast gives the exact bytes, by `alpha:beta`. */
  private float32Checked = new Map<string, boolean>();

  private constructor(instance: { exports: unknown }) {
    this.k = instance.exports as KernelExports;
  }

  /** A new instance (the module is compiled once per thread). */
  static create(): FrameKernels {
    compiled ??= new wasm.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    return new FrameKernels(new wasm.Instance(compiled, {}));
  }

  /** Grows memory to at least `bytes`. Views of the old memory are invalid afterwards. */
  private ensure(bytes: number): void {
    const have = this.k.memory.buffer.byteLength;
    if (bytes > have) this.k.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  private bytes(): Uint8Array {
    return new Uint8Array(this.k.memory.buffer);
  }

  /** The resize tables of `sw`×`sh` → `dw`×`dh`, made once per size pair. */
  private taps(sw: number, sh: number, dw: number, dh: number): { blocks: HorizontalBlocks; y: { index: Int32Array; weights: Int32Array } } {
    const key = `${sw}x${sh}:${dw}x${dh}`;
    let t = this.tapsCache.get(key);
    if (!t) {
      t = { blocks: horizontalBlocks(sw, dw), y: linearTaps(sh, dh) };
      if (this.tapsCache.size > 64) this.tapsCache.clear();
      this.tapsCache.set(key, t);
    }
    return t;
  }

  /**
   * Whether `convertScaleAbs(alpha, beta)` computed in float32 (a product and a sum, each rounded)
   * gives exactly the bytes of the kernel's exact path (one rounding, as OpenCV's fused
   * multiply-add) for every byte 0–255 — a contrast is a function of one byte, so 256 values
   * settle it. Checked once per pair by running both paths; the fast one is used only where they
   * agree (for the design's 1.3 / 5 they do).
   */
  float32Contrast(alpha: number, beta: number): boolean {
    const key = `${alpha}:${beta}`;
    let same = this.float32Checked.get(key);
    if (same === undefined) {
      // One row of 86 pixels holding the bytes 0–255 (and two more), in the vector loop.
      const n = 258;
      const src = this.inputBytes + GUARD;
      const dst = src + align(n) + GUARD;
      this.ensure(dst + align(n) + GUARD);
      const run = (float32: boolean): Uint8Array => {
        this.bytes().set(
          Uint8Array.from({ length: n }, (_, i) => i & 255),
          src,
        );
        this.k.preprocess(src, dst, 0, n / 3, 1, 0, 1, alpha, beta, float32 ? 1 : 0);
        return this.bytes().slice(dst, dst + 256);
      };
      const exact = run(false);
      const fast = run(true);
      same = fast.every((v, i) => v === exact[i]);
      if (this.float32Checked.size > 64) this.float32Checked.clear();
      this.float32Checked.set(key, same);
    }
    return same;
  }

  /**
   * The design's preprocessing of `frame` (3×3 blur, contrast; see `PreprocessOptions`), then,
   * when `size` differs from the frame's, OpenCV's linear resize to `size`. A new frame; `frame`
   * is not changed. Blur kernels other than 3×3 are the caller's to do (see `canPreprocess`). The
   * result is written into `into` when that is exactly its size, else into a new buffer.
   */
  prepare(frame: FrameImage, pre: PreprocessOptions, size?: { width: number; height: number }, into?: Uint8Array): FrameImage {
    const { width: w, height: h } = frame;
    const n = w * h * 3;
    const blur = pre.blur.enabled && pre.blur.ksize > 1;
    if (blur && pre.blur.ksize !== 3) throw new RangeError(`the SIMD kernels blur 3×3 only, not ${pre.blur.ksize}×${pre.blur.ksize}`);
    const contrast = pre.contrast.enabled;
    const resize = size !== undefined && (size.width !== w || size.height !== h);
    const dw = resize ? size.width : w;
    const dh = resize ? size.height : h;
    const m = dw * dh * 3;
    const taps = resize ? this.taps(w, h, dw, dh) : undefined;
    // [guard | src | guard | pre | guard | out | guard | blur rows | x blocks | y taps | resize rows]
    const src = this.inputBytes + GUARD;
    const mid = src + align(n) + GUARD;
    const out = resize ? mid + align(n) + GUARD : mid;
    const rows = out + align(m) + GUARD;
    const blocks = rows + align(3 * (6 * w + 32));
    const yofs = blocks + align(taps?.blocks.table.length ?? 0);
    const ybeta = yofs + align(4 * dh);
    const hrows = ybeta + align(8 * dh);
    this.ensure(hrows + 2 * align(4 * (3 * dw + 16)) + GUARD);
    // Decided before the frame is copied in: the first check of a pair runs the kernel on scratch
    // bytes where the frame goes.
    const { alpha, beta } = pre.contrast;
    const float32 = contrast && this.float32Contrast(alpha, beta);
    this.bytes().set(frame.data, src);
    const preprocessed = blur || contrast;
    if (preprocessed) this.k.preprocess(src, mid, rows, w, h, blur ? 1 : 0, contrast ? 1 : 0, alpha, beta, float32 ? 1 : 0);
    if (taps) {
      const mem = this.k.memory.buffer;
      new Uint8Array(mem, blocks, taps.blocks.table.length).set(taps.blocks.table);
      new Int32Array(mem, yofs, dh).set(taps.y.index);
      new Int32Array(mem, ybeta, 2 * dh).set(taps.y.weights);
      this.k.resizeLinear(preprocessed ? mid : src, w, h, out, dw, dh, blocks, taps.blocks.count, taps.blocks.per, yofs, ybeta, hrows);
    }
    const from = resize ? out : preprocessed ? mid : src;
    // allocUnsafe: the copy overwrites every byte, so zeroing the buffer first would be wasted.
    const data = into?.length === m ? into : Buffer.allocUnsafe(m);
    data.set(this.bytes().subarray(from, from + m));
    return { width: dw, height: dh, data };
  }

  /**
   * Reserves the model input batch, `slots` planar float32 images of `width`×`height`, at the start
   * of memory. Call once, before any other call.
   */
  reserveInput(slots: number, width: number, height: number): void {
    this.inputBytes = align(slots * 3 * width * height * 4);
    this.ensure(this.inputBytes + GUARD);
  }

  /** The first `slots` images of the reserved input batch (valid until the next call). */
  inputBatch(slots: number, width: number, height: number): Float32Array {
    const floats = slots * 3 * width * height;
    if (floats * 4 > this.inputBytes) throw new RangeError(`input batch of ${slots} slots is larger than reserved`);
    return new Float32Array(this.k.memory.buffer, 0, floats);
  }

  /**
   * Writes `frame`, letterboxed as `placement` says (resized first, with OpenCV's linear resize,
   * when it is not already `unpadWidth`×`unpadHeight`), into batch slot `slot` of the reserved
   * input: planar RGB, `byte / 255`, padded with `pad / 255`.
   */
  fillInput(slot: number, frame: FrameImage, placement: InputPlacement, width: number, height: number, pad: number): void {
    const { unpadWidth: uw, unpadHeight: uh } = placement;
    const scaled = frame.width === uw && frame.height === uh ? frame : this.prepare(frame, NO_PREPROCESSING, { width: uw, height: uh });
    const n = uw * uh * 3;
    const src = this.inputBytes + GUARD;
    this.ensure(src + align(n) + GUARD);
    this.bytes().set(scaled.data, src);
    const dst = slot * 3 * width * height * 4;
    if (dst + 3 * width * height * 4 > this.inputBytes) throw new RangeError(`slot ${slot} is outside the reserved input batch`);
    this.k.fillInput(src, uw, uh, dst, width, height, placement.left, placement.top, pad);
  }
}

const NO_PREPROCESSING: PreprocessOptions = { blur: { enabled: false, ksize: 1 }, contrast: { enabled: false, alpha: 1, beta: 0 } };

/** Whether the kernels do `pre` themselves (any contrast; blur off or 3×3). */
export function canPreprocess(pre: PreprocessOptions): boolean {
  return !pre.blur.enabled || pre.blur.ksize <= 1 || pre.blur.ksize === 3;
}
