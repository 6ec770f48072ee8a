import { test } from 'node:test';
import assert from 'node:assert/strict';
import { letterbox, travelSize, unletterbox } from '../../src/core/model-input.js';
import type { Box } from '../../src/core/types.js';

function near(actual: Box | null, expected: Box, tol = 1e-9): void {
  assert.ok(actual, `expected ${JSON.stringify(expected)}, got null`);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tol, `${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`));
}

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

test('frames travel at the size the model scales them to, never larger, and letterbox there with no resize', () => {
  const yolo = { width: 640, height: 640, fit: 'letterbox' as const };
  assert.deepEqual(travelSize(768, 576, yolo), { width: 640, height: 480 });
  assert.deepEqual(travelSize(1920, 1080, yolo), { width: 640, height: 360 });
  assert.deepEqual(travelSize(1080, 1920, yolo), { width: 360, height: 640 });
  assert.deepEqual(travelSize(320, 240, yolo), { width: 320, height: 240 }, 'not enlarged');
  assert.deepEqual(travelSize(640, 480, yolo), { width: 640, height: 480 });
  assert.deepEqual(travelSize(768, 576, { width: 512, height: 512, fit: 'stretch' }), { width: 512, height: 512 });
  assert.deepEqual(travelSize(400, 576, { width: 512, height: 512, fit: 'stretch' }), { width: 400, height: 576 }, 'stretched only when smaller on both axes');
  // Sent at its travel size, a frame lands where the whole frame would, unscaled, and its boxes scale
  // back per axis to exactly what the whole frame's letterbox gives.
  for (const [w, h] of [
    [768, 576],
    [1000, 333],
    [1366, 768],
    [333, 1000],
    [4096, 2160],
  ] as const) {
    const t = travelSize(w, h, yolo);
    const whole = letterbox(w, h, 640, 640);
    const sent = letterbox(t.width, t.height, 640, 640);
    assert.deepEqual([sent.unpadWidth, sent.unpadHeight, sent.left, sent.top], [whole.unpadWidth, whole.unpadHeight, whole.left, whole.top], `${w}x${h}`);
    const [x1, y1, x2, y2] = unletterbox(sent, 100, 150, 300, 350)!;
    const sx = w / t.width;
    const sy = h / t.height;
    near([x1 * sx, y1 * sy, x2 * sx, y2 * sy], unletterbox(whole, 100, 150, 300, 350)!, 1e-9);
  }
});
