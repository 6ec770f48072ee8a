import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyContrast, contrastTable, fixedPointKernel, gaussianBlur, gaussianKernel, preprocess } from '../../src/core/preprocess.js';
import type { FrameImage } from '../../src/core/types.js';

function image(width: number, height: number, fill: (x: number, y: number, c: number) => number): FrameImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = fill(x, y, c);
  return { width, height, data };
}
const at = (img: FrameImage, x: number, y: number, c = 0) => img.data[(y * img.width + x) * 3 + c]!;

test('kernels are OpenCV’s for sigma 0', () => {
  assert.deepEqual([...gaussianKernel(3)], [0.25, 0.5, 0.25]);
  assert.deepEqual([...gaussianKernel(5)], [0.0625, 0.25, 0.375, 0.25, 0.0625]);
  const k9 = gaussianKernel(9);
  assert.ok(Math.abs(k9.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(k9[4]! > k9[3]! && k9[3]! > k9[0]!);
  assert.throws(() => gaussianKernel(4), /odd/);
});

test('3×3 blur spreads an impulse as [1 2 1]ᵀ[1 2 1]/16', () => {
  const img = image(5, 5, (x, y) => (x === 2 && y === 2 ? 160 : 0));
  const out = gaussianBlur(img, 3);
  assert.equal(at(out, 2, 2), 40); // 160·4/16
  assert.equal(at(out, 1, 2), 20); // 160·2/16
  assert.equal(at(out, 1, 1), 10); // 160·1/16
  assert.equal(at(out, 0, 0), 0);
  assert.equal(out.data.length, img.data.length);
});

test('fixed-point kernels sum to 256 and round half up, as OpenCV’s bit-exact 8-bit blur', () => {
  for (const k of [3, 5, 7, 9, 15, 31])
    assert.equal(
      fixedPointKernel(k).reduce((a, b) => a + b, 0),
      256,
      `ksize ${k}`,
    );
  assert.deepEqual([...fixedPointKernel(3)], [64, 128, 64]);
  const img = image(5, 5, (x, y) => (x === 2 && y === 2 ? 8 : 0));
  assert.equal(at(gaussianBlur(img, 3), 1, 1), 1, '8/16 = 0.5 rounds up');
  const flat = image(9, 9, () => 201);
  assert.ok(gaussianBlur(flat, 9).data.every((v) => v === 201));
});

test('blur reflects at the border (BORDER_REFLECT_101) and keeps flat images flat', () => {
  const edge = image(4, 1, (x) => (x === 0 ? 100 : 0));
  // Row only: vertical pass on one row reflects to itself. x=0: (0.25·p[1] + 0.5·p[0] + 0.25·p[1]) = 50.
  assert.equal(at(gaussianBlur(edge, 3), 0, 0), 50);
  assert.equal(at(gaussianBlur(edge, 3), 1, 0), 25);
  const flat = image(7, 6, () => 77);
  assert.ok(gaussianBlur(flat, 5).data.every((v) => v === 77));
});

test('contrast is convertScaleAbs: |v·alpha + beta| saturated, half to even', () => {
  const lut = contrastTable(1.3, 5);
  assert.equal(lut[0], 5);
  assert.equal(lut[100], 135);
  assert.equal(lut[200], 255);
  const half = contrastTable(0.5, 0);
  assert.equal(half[1], 0); // 0.5 → 0
  assert.equal(half[3], 2); // 1.5 → 2
  assert.equal(half[5], 2); // 2.5 → 2
  assert.equal(contrastTable(1, -10)[4], 6, 'absolute value of negatives');
  const img = applyContrast(
    image(2, 2, () => 10),
    2,
    1,
  );
  assert.ok(img.data.every((v) => v === 21));
});

test('each step can be switched off; the input is never modified', () => {
  const img = image(6, 6, (x, y) => (x * 40 + y * 7) % 256);
  const copy = Uint8Array.from(img.data);
  const none = preprocess(img, { blur: { enabled: false, ksize: 3 }, contrast: { enabled: false, alpha: 1.3, beta: 5 } });
  assert.deepEqual(none.data, copy);
  const contrastOnly = preprocess(img, { blur: { enabled: false, ksize: 3 }, contrast: { enabled: true, alpha: 1.3, beta: 5 } });
  assert.deepEqual(contrastOnly.data, applyContrast(img, 1.3, 5).data);
  const both = preprocess(img, { blur: { enabled: true, ksize: 3 }, contrast: { enabled: true, alpha: 1.3, beta: 5 } });
  assert.deepEqual(both.data, applyContrast(gaussianBlur(img, 3), 1.3, 5).data);
  assert.deepEqual(img.data, copy);
});

test('the fast 3×3 path equals a direct 2-D convolution (reflect-101, half up) on any size', () => {
  const reflect = (x: number, n: number) => {
    if (n === 1) return 0;
    while (x < 0 || x >= n) x = x < 0 ? -x : 2 * n - 2 - x;
    return x;
  };
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  for (const [w, h] of [
    [1, 1],
    [2, 2],
    [3, 5],
    [17, 9],
    [64, 1],
    [1, 7],
  ] as const) {
    const img = image(w, h, () => rand());
    const out = gaussianBlur(img, 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) s += at(img, reflect(x + dx, w), reflect(y + dy, h), c) * (2 - Math.abs(dx)) * (2 - Math.abs(dy));
          assert.equal(at(out, x, y, c), (s + 8) >> 4, `${w}×${h} at ${x},${y},${c}`);
        }
  }
});
