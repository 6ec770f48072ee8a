import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNanodet, NANODET_MAX_OBJECTS, type NanodetLevel } from '../../src/adapters/detector/nanodet-decode.js';

const SIZE = 64; // strides 8, 16, 32: grids 8×8, 4×4, 2×2
const BINS = 11;

/** Empty head outputs: every score 0, every side's distribution flat. */
function levels(): NanodetLevel[] {
  return [8, 16, 32].map((stride) => {
    const cells = (SIZE / stride) ** 2;
    return { stride, scores: new Float32Array(cells * 80), regs: new Float32Array(cells * 4 * BINS) };
  });
}

/** Sets cell `i` of `level`: `cls` at `score`, and each side's distribution peaked (logit 30) at `bins[side]`. */
function put(level: NanodetLevel, i: number, cls: number, score: number, bins: [number, number, number, number]): void {
  (level.scores as Float32Array)[i * 80 + cls] = score;
  bins.forEach((b, side) => ((level.regs as Float32Array)[i * 4 * BINS + side * BINS + b] = 30));
}

test("a cell's box is its centre (col + 0.5, row + 0.5 strides) minus / plus each side's expected distance, mapped to the frame", () => {
  const l = levels();
  // Stride 8, row 2, col 3: centre (28, 20) in input pixels; sides 1, 2, 3, 1 bins = 8, 16, 24, 8 px.
  put(l[0]!, 2 * 8 + 3, 0, 0.9, [1, 2, 3, 1]);
  const [o, ...rest] = decodeNanodet(l, SIZE, 128, 64, 0.5, 0.5);
  assert.equal(rest.length, 0);
  assert.equal(o!.class, 'person');
  assert.equal(o!.conf, 0.9);
  // x scaled by 128 / 64 = 2, y by 1.
  assert.deepEqual(o!.box, [(28 - 8) * 2, 20 - 16, (28 + 24) * 2, 20 + 8]);
});

test("the distance is the softmax's expectation, not its arg-max", () => {
  const l = levels();
  const regs = l[1]!.regs as Float32Array;
  (l[1]!.scores as Float32Array)[0 * 80 + 2] = 0.8; // stride 16, cell 0: centre (8, 8); a car
  // Left side: equal logits on bins 1 and 2 → 1.5 bins = 24 px; the other sides flat → 5 bins = 80 px.
  regs[1] = 10;
  regs[2] = 10;
  const [o] = decodeNanodet(l, SIZE, SIZE, SIZE, 0.5, 0.5);
  assert.equal(o!.class, 'car');
  assert.ok(Math.abs(o!.box[0] - 0) < 1e-9, 'clamped at the left edge (8 − 24 < 0)');
  assert.ok(Math.abs(o!.box[2] - 64) < 1e-9, 'clamped at the right edge (8 + 80 > 64)');
  const l2 = levels();
  (l2[1]!.scores as Float32Array)[3 * 80 + 2] = 0.8; // cell 3: row 0, col 3: centre (56, 8)
  const r2 = l2[1]!.regs as Float32Array;
  r2[3 * 44 + 1] = 10;
  r2[3 * 44 + 2] = 10;
  const [p] = decodeNanodet(l2, SIZE, SIZE, SIZE, 0.5, 0.5);
  assert.ok(Math.abs(p!.box[0] - (56 - 24)) < 0.05, `left ${p!.box[0]}`);
});

test('every class of a cell above the threshold is a candidate; class-wise NMS; sorted; the threshold is inclusive', () => {
  const l = levels();
  put(l[0]!, 10, 0, 0.9, [2, 2, 2, 2]);
  (l[0]!.scores as Float32Array)[10 * 80 + 16] = 0.6; // the same box as a dog: another class, kept
  put(l[0]!, 11, 0, 0.7, [2, 2, 2, 2]); // one stride to the right: IoU 0.6 with the first person
  put(l[0]!, 40, 0, 0.5, [1, 1, 1, 1]); // elsewhere, exactly at the threshold
  const found = decodeNanodet(l, SIZE, SIZE, SIZE, 0.5, 0.5);
  assert.deepEqual(
    found.map((o) => [o.class, o.conf]),
    [
      ['person', 0.9],
      ['dog', 0.6],
      ['person', 0.5],
    ],
  );
  const loose = decodeNanodet(l, SIZE, SIZE, SIZE, 0.5, 0.7);
  assert.deepEqual(
    loose.map((o) => o.conf),
    [0.9, 0.7, 0.6, 0.5],
    'at IoU 0.7 the overlapping person stays',
  );
  assert.deepEqual(decodeNanodet(l, SIZE, SIZE, SIZE, 0.95, 0.5), []);
});

test('at most NANODET_MAX_OBJECTS objects, the most confident; NaN scores never pass', () => {
  const l = levels();
  for (let i = 0; i < 64; i++) for (let c = 0; c < 3; c++) put(l[0]!, i, c, 0.5 + (i * 3 + c) / 1000, [1, 1, 1, 1]);
  (l[2]!.scores as Float32Array)[0] = Number.NaN;
  const found = decodeNanodet(l, SIZE, SIZE, SIZE, 0.3, 0.5);
  assert.equal(found.length, NANODET_MAX_OBJECTS);
  assert.equal(found[0]!.conf, Math.round((0.5 + 191 / 1000) * 1e4) / 1e4);
});

test('outputs that do not fit the grid are refused', () => {
  const l = levels();
  assert.throws(() => decodeNanodet([{ ...l[0]!, scores: new Float32Array(10) }], SIZE, SIZE, SIZE, 0.5, 0.5), /stride 8: 10 scores/);
  assert.throws(() => decodeNanodet([{ ...l[0]!, regs: new Float32Array(64 * 3) }], SIZE, SIZE, SIZE, 0.5, 0.5), /do not divide/);
});
