import { test } from 'node:test';
import assert from 'node:assert/strict';
import { letterbox, letterboxPixels, unletterbox, PAD_VALUE } from '../../src/adapters/detector/yolo/letterbox.js';
import type { Box, FrameImage } from '../../src/core/types.js';

function near(actual: Box | null, expected: Box, tol = 1e-9): void {
  assert.ok(actual, `expected ${JSON.stringify(expected)}, got null`);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tol, `${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`));
}

const solid = (width: number, height: number, v: number): FrameImage => ({ width, height, data: new Uint8Array(width * height * 3).fill(v) });

test('landscape and portrait frames in a non-square 64×48 input', () => {
  // 320×180: r = min(48/180, 64/320) = 0.2 → 64×36; dh = 12 → top = round(6 − 0.1) = 6.
  assert.deepEqual(letterbox(320, 180, 64, 48), { width: 320, height: 180, unpadWidth: 64, unpadHeight: 36, left: 0, top: 6 });
  // 180×320 (a rotated video): r = min(48/320, 64/180) = 0.15 → 27×48; dw = 37 → left = round(18.4) = 18
  // and the odd pixel goes right (19).
  assert.deepEqual(letterbox(180, 320, 64, 48), { width: 180, height: 320, unpadWidth: 27, unpadHeight: 48, left: 18, top: 0 });
});

test('square input: 320×180 and 180×320 in 64×64', () => {
  // r = 0.2 either way: 64×36 with 14 rows above, 36×64 with 14 columns left.
  assert.deepEqual(letterbox(320, 180, 64, 64), { width: 320, height: 180, unpadWidth: 64, unpadHeight: 36, left: 0, top: 14 });
  assert.deepEqual(letterbox(180, 320, 64, 64), { width: 180, height: 320, unpadWidth: 36, unpadHeight: 64, left: 14, top: 0 });
});

test('scaling up, identity, odd padding, and Python’s half-to-even rounding of the scaled size', () => {
  assert.deepEqual(letterbox(16, 8, 64, 64), { width: 16, height: 8, unpadWidth: 64, unpadHeight: 32, left: 0, top: 16 });
  assert.deepEqual(letterbox(64, 48, 64, 48), { width: 64, height: 48, unpadWidth: 64, unpadHeight: 48, left: 0, top: 0 });
  // dh = 13 → top = round(6.5 − 0.1) = 6 (bottom 7).
  assert.equal(letterbox(64, 35, 64, 48).top, 6);
  // r = min(64/128, 64/5) = 0.5: 5·0.5 = 2.5 rounds to 2 (Python), not 3; 7·0.5 = 3.5 rounds to 4.
  assert.deepEqual(letterbox(5, 128, 64, 64), { width: 5, height: 128, unpadWidth: 2, unpadHeight: 64, left: 31, top: 0 });
  assert.equal(letterbox(7, 128, 64, 64).unpadWidth, 4);
});

test('unletterbox inverts the actual resize, per axis', () => {
  // Landscape in 64×48: x·(320/64), (y − 6)·(180/36).
  near(unletterbox(letterbox(320, 180, 64, 48), 22, 18, 42, 30), [110, 60, 210, 120]);
  // Portrait in 64×48: (x − 18)·(180/27), y·(320/48).
  near(unletterbox(letterbox(180, 320, 64, 48), 22, 18, 42, 30), [(4 * 180) / 27, 120, (24 * 180) / 27, 200]);
  // 5 columns scaled to 2: the factor is 5/2, not 1/r = 2.
  near(unletterbox(letterbox(5, 128, 64, 64), 31, 0, 32, 64), [0, 0, 2.5, 128]);
});

test('unletterbox clamps to the frame and drops boxes left with no area', () => {
  const lb = letterbox(180, 320, 64, 48); // left 18, 27 columns of frame
  near(unletterbox(lb, 10, -5, 30, 60), [0, 0, 80, 320]);
  assert.equal(unletterbox(lb, 0, 0, 17, 10), null, 'inside the left padding');
  assert.equal(unletterbox(lb, 50, 0, 60, 10), null, 'inside the right padding');
  assert.equal(unletterbox(lb, 30, 10, 30, 20), null, 'zero width');
});

test('letterboxPixels pads with grey 114 around the scaled frame', async () => {
  const landscape = await letterboxPixels(solid(320, 180, 200), letterbox(320, 180, 64, 48), 64, 48);
  assert.equal(landscape.length, 64 * 48 * 3);
  const row = (y: number) => landscape.subarray(y * 64 * 3, (y + 1) * 64 * 3);
  for (const y of [0, 5, 42, 47]) assert.ok(row(y).every((v) => v === PAD_VALUE), `row ${y} is padding`);
  for (const y of [6, 24, 41]) assert.ok(row(y).every((v) => v === 200), `row ${y} is frame`);

  const portrait = await letterboxPixels(solid(180, 320, 10), letterbox(180, 320, 64, 48), 64, 48);
  const at = (x: number, y: number) => portrait[(y * 64 + x) * 3]!;
  for (const y of [0, 47]) {
    for (const x of [0, 17, 45, 63]) assert.equal(at(x, y), PAD_VALUE, `(${x},${y}) is padding`);
    for (const x of [18, 30, 44]) assert.equal(at(x, y), 10, `(${x},${y}) is frame`);
  }
});

test('letterboxPixels passes a frame of the input size through unchanged', async () => {
  const data = Uint8Array.from({ length: 8 * 4 * 3 }, (_, i) => (i * 37) % 256);
  const out = await letterboxPixels({ width: 8, height: 4, data }, letterbox(8, 4, 8, 4), 8, 4);
  assert.deepEqual([...out], [...data]);
});
