import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decodeYolo } from '../../src/adapters/detector/yolo/decode.js';
import { classwiseNms, type Candidate } from '../../src/adapters/detector/yolo/nms.js';
import { resolveLayout } from '../../src/adapters/detector/yolo/layout.js';
import { fromHalf, halfsToFloats, toHalf } from '../../src/adapters/detector/yolo/float16.js';
import { parseImgsz, parseNames } from '../../src/adapters/detector/yolo/model-info.js';
import { readOnnxMetadata } from '../../src/adapters/detector/yolo/onnx-metadata.js';
import { tinyYoloModel, ultralyticsMetadata } from '../support/yolo-models.js';

test('v8 [B, 4+nc, N]: attribute-major, best class, no objectness; batch items are separate', () => {
  // nc = 2, N = 2; anchor 0: (10,20) 4×6, scores (0.3, 0.8); anchor 1: scores (0.1, 0.2).
  const item = [10, 30, 20, 40, 4, 4, 6, 6, 0.3, 0.1, 0.8, 0.2];
  const data = [...item.map(() => 0), ...item];
  assert.deepEqual(decodeYolo(data, [2, 6, 2], 'v8', 1, 0.25), [{ box: [8, 17, 12, 23], score: 0.8, cls: 1 }]);
  assert.deepEqual(decodeYolo(data, [2, 6, 2], 'v8', 0, 0.25), [], 'item 0 is all zeros');
});

test('v5 [B, N, 5+nc]: conf = objectness × best class score, kept at exactly the threshold', () => {
  const rows = [
    [10, 20, 4, 6, 0.5, 0.5, 0.25], // 0.5·0.5 = 0.25 → kept (≥)
    [10, 20, 4, 6, 0.5, 0.25, 0.49], // 0.5·0.49 = 0.245 → dropped
    [10, 20, 4, 6, 1, 0.1, 0.9], // 0.9, class 1
  ];
  assert.deepEqual(decodeYolo(rows.flat(), [1, 3, 7], 'v5', 0, 0.25), [
    { box: [8, 17, 12, 23], score: 0.25, cls: 0 },
    { box: [8, 17, 12, 23], score: 0.9, cls: 1 },
  ]);
});

test('end2end [B, K, 6]: corners, score, class index; NaN and negative classes dropped', () => {
  const rows = [
    [1, 2, 3, 4, 0.9, 2],
    [1, 2, 3, 4, 0.1, 0],
    [1, 2, 3, 4, NaN, 0],
    [1, 2, 3, 4, 0.8, -1],
  ];
  assert.deepEqual(decodeYolo(rows.flat(), [1, 4, 6], 'end2end', 0, 0.25), [{ box: [1, 2, 3, 4], score: 0.9, cls: 2 }]);
});

test('class-wise NMS: same class suppressed above the IoU threshold, other classes never; capped', () => {
  const c = (x1: number, score: number, cls: number): Candidate => ({ box: [x1, 0, x1 + 10, 10], score, cls });
  // [0,10] vs [1,11]: IoU 9/11 ≈ 0.82; [0,10] vs [5,15]: IoU 5/15 ≈ 0.33.
  assert.deepEqual(classwiseNms([c(1, 0.8, 0), c(0, 0.9, 0)], 0.45, 10), [c(0, 0.9, 0)]);
  assert.deepEqual(classwiseNms([c(1, 0.8, 1), c(0, 0.9, 0)], 0.45, 10), [c(0, 0.9, 0), c(1, 0.8, 1)]);
  assert.deepEqual(classwiseNms([c(5, 0.8, 0), c(0, 0.9, 0)], 0.45, 10), [c(0, 0.9, 0), c(5, 0.8, 0)]);
  assert.deepEqual(classwiseNms([c(0, 0.7, 0), c(20, 0.9, 0), c(40, 0.8, 0)], 0.45, 2), [c(20, 0.9, 0), c(40, 0.8, 0)]);
});

test('layout from the output shape and class count', () => {
  const file = 'm.onnx';
  assert.equal(resolveLayout({ file, shape: [1, 84, 8400], classes: 80 }), 'v8');
  assert.equal(resolveLayout({ file, shape: ['batch', 84, 'anchors'], classes: 80 }), 'v8');
  assert.equal(resolveLayout({ file, shape: [1, 25200, 85], classes: 80 }), 'v5');
  assert.equal(resolveLayout({ file, shape: [1, 300, 6], classes: 80 }), 'end2end');
  assert.equal(resolveLayout({ file, shape: [1, 300, 6], classes: 1, end2end: true }), 'end2end');
  assert.equal(resolveLayout({ file, shape: [1, 300, 6], classes: 1, end2end: false }), 'v5');
  assert.throws(() => resolveLayout({ file, shape: [1, 300, 6], classes: 1 }), /m\.onnx.*\[1, 300, 6\].*layout/);
  // No names: the smaller dim holds the attributes.
  assert.equal(resolveLayout({ file, shape: [1, 84, 8400] }), 'v8');
  assert.equal(resolveLayout({ file, shape: [1, 25200, 85] }), 'v5');
  assert.throws(() => resolveLayout({ file, shape: [1, 84, 8400], classes: 3 }), /m\.onnx.*\[1, 84, 8400\].*3 classes/);
  assert.throws(() => resolveLayout({ file, shape: [1, 84] }), /m\.onnx.*\[1, 84\]/);
  assert.equal(resolveLayout({ file, shape: [1, 300, 6], classes: 1 }, 'v5'), 'v5');
  assert.throws(() => resolveLayout({ file, shape: [1, 4, 100] }, 'v8'), /cannot be YOLO layout v8/);
});

test('float16: exact values round-trip, rounding is to nearest even, specials survive', () => {
  for (const v of [0, 1, -2, 0.5, 0.25, 1.5, 65504, 2 ** -24, 12.5, 640]) assert.equal(fromHalf(toHalf(v)), v);
  assert.equal(toHalf(1), 0x3c00);
  assert.equal(toHalf(1 + 2 ** -11), 0x3c00, 'tie rounds to even (down)');
  assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02, 'tie rounds to even (up)');
  assert.equal(toHalf(2 ** -25), 0, 'half the smallest subnormal rounds to 0');
  assert.equal(toHalf(1e6), 0x7c00);
  assert.ok(Number.isNaN(fromHalf(toHalf(NaN))));
  assert.ok(Math.abs(fromHalf(toHalf(0.1)) - 0.1) < 1e-4);
  assert.deepEqual([...halfsToFloats(Uint16Array.of(0x3c00, 0xc000, 0x3800))], [1, -2, 0.5]);
});

test('names metadata: Python dict reprs with either quote and escapes, lists, gaps', () => {
  assert.deepEqual(parseNames(`{0: 'person', 1: "o'clock", 2: 'say "hi"', 3: 'back\\\\slash', 4: 'tab\\there', 5: '\\xe9t\\u00e9'}`), [
    'person',
    "o'clock",
    'say "hi"',
    'back\\slash',
    'tab\there',
    'été',
  ]);
  assert.deepEqual(parseNames(`{0: 'it\\'s', 1: 'a, b: c'}`), ["it's", 'a, b: c']);
  assert.deepEqual(parseNames(`['cat', 'dog']`), ['cat', 'dog']);
  assert.deepEqual(parseNames(`{0: 'a', 2: 'c'}`), ['a', 'class1', 'c']);
  assert.throws(() => parseNames(`{0: 'a'`), /expected/);
  assert.throws(() => parseNames(`{'a': 0}`), /not index/);
  assert.deepEqual(parseImgsz('[480, 640]'), { height: 480, width: 640 });
  assert.deepEqual(parseImgsz('320'), { height: 320, width: 320 });
  assert.equal(parseImgsz('[0, 640]'), undefined);
});

test('readOnnxMetadata reads metadata_props and nothing else', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'yolo-meta-'));
  try {
    const file = path.join(dir, 'm.onnx');
    const metadata = ultralyticsMetadata({ names: ["o'clock", 'b'], imgsz: [48, 64], end2end: true });
    await writeFile(file, tinyYoloModel({ layout: 'v8', rows: [[1, 1, 1, 1, 1, 1]], metadata }));
    assert.deepEqual(Object.fromEntries(await readOnnxMetadata(file)), metadata);
    assert.equal(metadata.names, `{0: "o'clock", 1: 'b'}`);

    await writeFile(file, Buffer.from([0x0a, 0xff, 0x01, 0x00])); // field 1, 255 bytes, 2 present
    await assert.rejects(readOnnxMetadata(file), /m\.onnx: not a readable ONNX model/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
