import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { FrameKernels, linearTaps } from '../../src/adapters/frame-kernels/wasm-kernels.js';
import { preprocess, type PreprocessOptions } from '../../src/core/preprocess.js';
import type { FrameImage } from '../../src/core/types.js';
import { resizeLinear as resizeLinearReference } from '../../src/adapters/frame-preparer/typescript.js';
import { compileKernels, kernelsModuleText, sourceSha256 } from '../../scripts/build-kernels.js';

/** A frame of seeded noise (every byte value occurs), so rounding differences cannot hide. */
function noise(width: number, height: number, seed = width * 7919 + height): FrameImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = (s >>> 0) & 255;
  }
  return { width, height, data };
}

const options = (blur: boolean, contrast: boolean, alpha = 1.3, beta = 5): PreprocessOptions => ({
  blur: { enabled: blur, ksize: 3 },
  contrast: { enabled: contrast, alpha, beta },
});

function firstDifference(a: Uint8Array, b: Uint8Array): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `byte ${i}: ${a[i]} vs ${b[i]}`;
  return undefined;
}

const SIZES: Array<[number, number]> = [
  [1, 1],
  [2, 1],
  [1, 3],
  [2, 2],
  [5, 3],
  [6, 7],
  [17, 9],
  [33, 2],
  [768, 576],
  [641, 359],
];

test('the SIMD preprocessing equals the TypeScript reference byte for byte, every size and switch', () => {
  const kernels = FrameKernels.create();
  for (const [w, h] of SIZES) {
    const frame = noise(w, h);
    for (const [blur, contrast] of [
      [true, true],
      [true, false],
      [false, true],
      [false, false],
    ] as const) {
      const o = options(blur, contrast);
      const got = kernels.prepare(frame, o);
      assert.equal(firstDifference(got.data, preprocess(frame, o).data), undefined, `${w}x${h} blur=${blur} contrast=${contrast}`);
      assert.deepEqual([got.width, got.height], [w, h]);
    }
  }
  // Other gains and offsets, a negative offset (convertScaleAbs takes the absolute value), saturation.
  const frame = noise(97, 31);
  for (const [alpha, beta] of [
    [0.5, 0],
    [2, -100],
    [1, -255],
    [10, 255],
    [0.37, 3.3],
    [3.9, -100],
    [1.1, 0.3],
  ] as const) {
    assert.equal(
      firstDifference(kernels.prepare(frame, options(true, true, alpha, beta)).data, preprocess(frame, options(true, true, alpha, beta)).data),
      undefined,
      `alpha ${alpha} beta ${beta}`,
    );
  }
});

test("the contrast takes the float32 path only where it gives the exact path's bytes for all 256 values", () => {
  const kernels = FrameKernels.create();
  // The design's 1.3 / 5 (and the identity) agree; these two do not (a product rounded to float32
  // and then a sum rounded again lands on the other side of a .5 for some byte), so they keep the
  // exact path, and the test above shows both paths equal to the reference.
  assert.equal(kernels.float32Contrast(1.3, 5), true);
  assert.equal(kernels.float32Contrast(1, 0), true);
  assert.equal(kernels.float32Contrast(3.9, -100), false);
  assert.equal(kernels.float32Contrast(1.1, 0.3), false);
});

test('the SIMD resize equals the fixed-point reference, down and up, and preprocessing comes first', () => {
  const kernels = FrameKernels.create();
  const cases: Array<[number, number, number, number]> = [
    [768, 576, 640, 480],
    [1920, 1080, 640, 360],
    [320, 240, 640, 480],
    [7, 5, 3, 2],
    [1, 1, 4, 4],
    [5, 9, 5, 4],
    [640, 480, 640, 480],
    [101, 67, 33, 97],
  ];
  for (const [sw, sh, dw, dh] of cases) {
    const frame = noise(sw, sh);
    const got = kernels.prepare(frame, options(false, false), { width: dw, height: dh });
    assert.deepEqual([got.width, got.height], [dw, dh]);
    assert.equal(firstDifference(got.data, resizeLinearReference(frame, dw, dh).data), undefined, `${sw}x${sh} → ${dw}x${dh}`);
  }
  const frame = noise(768, 576);
  const both = kernels.prepare(frame, options(true, true), { width: 640, height: 480 });
  assert.equal(firstDifference(both.data, resizeLinearReference(preprocess(frame, options(true, true)), 640, 480).data), undefined);
  assert.deepEqual(frame.data, noise(768, 576).data, 'the input is never modified');
});

test("resize taps are OpenCV's: source centre (d + ½)·scale − ½, clamped, weights summing to 2048", () => {
  const t = linearTaps(768, 640);
  assert.deepEqual([t.index[0], t.weights[0], t.weights[1]], [0, 1843, 205]); // 0.1 → 0.9·2048, 0.1·2048
  assert.deepEqual([t.index[639], t.weights[1278], t.weights[1279]], [766, 205, 1843]); // 766.9
  for (let d = 0; d < 640; d++) assert.equal(t.weights[2 * d]! + t.weights[2 * d + 1]!, 2048);
  const up = linearTaps(2, 4); // −0.25 → the edge pixel alone; 0.25 → ¾, ¼; 1.25 → past the last pixel: the edge
  assert.deepEqual([up.index[0], up.weights[0], up.weights[1]], [0, 2048, 0]);
  assert.deepEqual([up.index[1], up.weights[2], up.weights[3]], [0, 1536, 512]);
  assert.deepEqual([up.index[3], up.weights[6], up.weights[7]], [1, 2048, 0]);
});

test('the letterboxed model input: planar RGB / 255 in float32, padded with 114 / 255, resized when needed', () => {
  const kernels = FrameKernels.create();
  const W = 40;
  const H = 40;
  kernels.reserveInput(2, W, H);
  const frame = noise(40, 30);
  kernels.fillInput(1, frame, { unpadWidth: 40, unpadHeight: 30, left: 0, top: 5 }, W, H, 114);
  const input = kernels.inputBatch(2, W, H);
  const plane = W * H;
  const slot = 3 * plane;
  const pad = Math.fround(114 / 255);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) {
        const inside = y >= 5 && y < 35;
        const want = inside ? Math.fround(frame.data[((y - 5) * 40 + x) * 3 + c]! / 255) : pad;
        assert.equal(input[slot + c * plane + y * W + x], want, `(${x}, ${y}) channel ${c}`);
      }
    }
  }
  // A frame of another size is resized into the letterbox first; left padding, odd widths.
  const big = noise(81, 50);
  kernels.fillInput(0, big, { unpadWidth: 37, unpadHeight: 23, left: 2, top: 9 }, W, H, 114);
  const scaled = resizeLinearReference(big, 37, 23);
  const again = kernels.inputBatch(2, W, H);
  for (const [x, y] of [
    [0, 0],
    [1, 9],
    [2, 9],
    [38, 31],
    [39, 31],
    [20, 20],
    [2, 32],
  ] as const) {
    const inside = x >= 2 && x < 39 && y >= 9 && y < 32;
    const want = inside ? Math.fround(scaled.data[((y - 9) * 37 + (x - 2)) * 3 + 2]! / 255) : pad;
    assert.equal(again[2 * plane + y * W + x], want, `blue at (${x}, ${y})`);
  }
});

test('the embedded module is what kernels/frame-kernels.ts compiles to (npm run build:kernels)', async () => {
  const committed = await readFile(new URL('../../src/adapters/frame-kernels/kernels-wasm.ts', import.meta.url), 'utf8');
  assert.equal(committed, kernelsModuleText(await compileKernels(), await sourceSha256()));
});
