import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createOnnxYoloDetector, type OnnxYoloDetector, type OnnxYoloOptions } from '../../src/adapters/detector/onnx-yolo.js';
import type { Box, DetectedObject, FrameImage } from '../../src/core/types.js';
import { ultralyticsMetadata, writeTinyYoloModel, type TinyYoloSpec } from '../support/yolo-models.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { detectorContract, LOW } from '../contracts/detector-contract.js';

// Real onnxruntime (CPU) on tiny generated models whose outputs are known constants, plus — where a
// spec has a probe — the mean of the normalised letterboxed input of each batch item.

const NAMES = ['person', 'bicycle', "o'clock"];
const PAD = 114 / 255;

let dir: string;
const opened: OnnxYoloDetector[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'onnx-yolo-'));
});

after(async () => {
  await Promise.all(opened.map((d) => d.close()));
  await rm(dir, { recursive: true, force: true });
});

async function model(file: string, spec: TinyYoloSpec): Promise<string> {
  return writeTinyYoloModel(dir, file, spec);
}

async function open(modelPath: string, extra: Partial<OnnxYoloOptions> = {}): Promise<OnnxYoloDetector> {
  const d = await createOnnxYoloDetector({ name: 'tiny-yolo', modelPath, confidence: 0.25, iou: 0.45, ...extra });
  opened.push(d);
  return d;
}

const solid = (width: number, height: number, v: number): FrameImage => ({ width, height, data: new Uint8Array(width * height * 3).fill(v) });

/** Same classes in the same order; boxes to 1e-6; confidences to `confTol`. */
function assertObjects(actual: DetectedObject[], expected: DetectedObject[], confTol = 1e-6): void {
  const show = `\n actual   ${JSON.stringify(actual)}\n expected ${JSON.stringify(expected)}`;
  assert.deepEqual(
    actual.map((o) => o.class),
    expected.map((o) => o.class),
    show,
  );
  actual.forEach((o, i) => {
    const e = expected[i]!;
    o.box.forEach((v, k) => assert.ok(Math.abs(v - e.box[k]!) <= 1e-6, `box ${i}${show}`));
    assert.ok(Math.abs(o.conf - e.conf) <= confTol, `conf ${i}${show}`);
  });
}
const obj = (cls: string, box: Box, conf: number): DetectedObject => ({ class: cls, box, conf });

// Box A: centre (32, 24), 20×12 → input corners (22, 18)–(42, 30).
const A_V8 = [32, 24, 20, 12];

test('v8 with names from metadata, fixed batch 1, landscape/portrait/square frames in a 64×48 input', async () => {
  const d = await open(
    await model('v8-b1.onnx', {
      layout: 'v8',
      input: { height: 48, width: 64 },
      metadata: ultralyticsMetadata({ names: NAMES, imgsz: [48, 64] }),
      rows: [
        [...A_V8, 0.9, 0.1, 0.2], // person 0.9
        [12, 24, 16, 40, 0.1, 0.1, 0.5], // (4, 4)–(20, 44): o'clock 0.5, partly outside the frame
        [32, 2, 10, 4, 0.1, 0.6, 0.1], // (27, 0)–(37, 4): bicycle 0.6, in the top padding of landscape frames
        [32, 24, 8, 8, 0.2, 0.1, 0.24], // below the confidence threshold
      ],
    }),
  );
  assert.equal(d.name, 'tiny-yolo');
  assert.equal(d.layout, 'v8');
  assert.equal(d.batch, 1);
  assert.deepEqual(d.inputSize, { width: 64, height: 48 });
  assert.deepEqual(d.classes, NAMES);
  assert.equal(d.provider, 'cpu');

  const frames = [solid(320, 180, 0), solid(180, 320, 255), solid(100, 100, 50), solid(333, 100, 7)];
  const [landscape, portrait, square, wide] = await d.detect(frames);
  // 320×180: r = 0.2, 64×36 at top 6 → x·5, (y − 6)·5; bicycle's box maps to y < 0 → clamped to nothing.
  assertObjects(landscape!, [obj('person', [110, 60, 210, 120], 0.9), obj("o'clock", [20, 0, 100, 180], 0.5)]);
  // 180×320: r = 0.15, 27×48 at left 18 → (x − 18)·180/27, y·320/48.
  const px = (x: number) => ((x - 18) * 180) / 27;
  const py = (y: number) => (y * 320) / 48;
  assertObjects(portrait!, [
    obj('person', [px(22), py(18), px(42), py(30)], 0.9),
    obj('bicycle', [px(27), 0, px(37), py(4)], 0.6),
    obj("o'clock", [0, py(4), px(20), py(44)], 0.5),
  ]);
  // 100×100: r = 0.48, 48×48 at left round(7.9) = 8 → (x − 8)·100/48, y·100/48.
  const s = (v: number) => (v * 100) / 48;
  assertObjects(square!, [
    obj('person', [s(14), s(18), s(34), s(30)], 0.9),
    obj('bicycle', [s(19), 0, s(29), s(4)], 0.6),
    obj("o'clock", [0, s(4), s(12), s(44)], 0.5),
  ]);
  // 333×100: r = 64/333, 64×round(19.2) = 64×19 at top round(14.4) = 14 → x·333/64, (y − 14)·100/19:
  // the y factor is the actual resize's, 100/19, not 1/r.
  const wx = (x: number) => (x * 333) / 64;
  const wy = (y: number) => ((y - 14) * 100) / 19;
  assertObjects(wide!, [obj('person', [wx(22), wy(18), wx(42), wy(30)], 0.9), obj("o'clock", [wx(4), 0, wx(20), 100], 0.5)]);
  assert.deepEqual(await d.detect([]), []);
});

test('v5: conf = objectness × class score; fixed batch 2 with 3 frames pads the last run', async () => {
  const d = await open(
    await model('v5-b2.onnx', {
      layout: 'v5',
      batch: 2,
      metadata: ultralyticsMetadata({ names: ['cat', 'dog'], imgsz: [64, 64], batch: 2 }),
      rows: [
        [...A_V8, 0.5, 0.5, 0.25], // cat 0.25: exactly at the threshold, kept
        [...A_V8, 0.5, 0.1, 0.49], // dog 0.245: dropped
        [32, 40, 8, 8, 0, 0, 1], // dog, objectness = this frame's input mean (the probe)
      ],
      probe: { row: 2, attr: 4 },
    }),
  );
  assert.equal(d.layout, 'v5');
  assert.equal(d.batch, 2);
  const frames = [solid(320, 180, 255), solid(180, 320, 128), solid(320, 180, 200)];
  const results = await d.detect(frames);
  assert.equal(results.length, 3);
  // In 64×64, a 320×180 frame fills 64×36 at top 14 (x·5, (y − 14)·5); a 180×320 one 36×64 at left 14.
  const mean = (v: number) => (36 / 64) * (v / 255) + (28 / 64) * PAD;
  const land = (m: number) => [obj('dog', [140, 110, 180, 150], m), obj('cat', [110, 20, 210, 80], 0.25)];
  assertObjects(results[0]!, land(mean(255)), 1e-5);
  assertObjects(results[1]!, [obj('dog', [70, 180, 110, 220], mean(128)), obj('cat', [40, 90, 140, 150], 0.25)], 1e-5);
  assertObjects(results[2]!, land(mean(200)), 1e-5);
});

test('dynamic batch: maxBatch frames per run, each frame gets its own output', async () => {
  const file = await model('v8-dyn.onnx', {
    layout: 'v8',
    batch: 'dynamic',
    metadata: ultralyticsMetadata({ names: NAMES }),
    rows: [[...A_V8, 0.3, 0, 0]],
    probe: { row: 0, attr: 4 },
  });
  const d = await open(file, { maxBatch: 2, intraOpThreads: 1, interOpThreads: 1 });
  assert.equal(d.batch, 'dynamic');
  const values = [0, 51, 102, 204, 255];
  const results = await d.detect(values.map((v) => solid(64, 64, v)));
  assert.deepEqual(
    results.map((r) => r.length),
    [1, 1, 1, 1, 1],
  );
  results.forEach((r, i) => assertObjects(r, [obj('person', [22, 18, 42, 30], 0.3 + values[i]! / 255)], 1e-5));
});

test('fp16 model: float16 input and output', async () => {
  const d = await open(
    await model('v8-fp16.onnx', {
      layout: 'v8',
      batch: 'dynamic',
      fp16: true,
      input: { height: 48, width: 64 },
      metadata: ultralyticsMetadata({ names: NAMES }),
      rows: [[...A_V8, 0.5, 0.25, 0]], // person (0.5 + input mean) beats bicycle: one class per anchor
      probe: { row: 0, attr: 4 },
    }),
  );
  const [landscape, portrait] = await d.detect([solid(320, 180, 0), solid(180, 320, 255)]);
  // Means: 64×36 of 64×48 is frame, the rest padding; 27×48 of 64×48 for the portrait frame.
  assertObjects(landscape!, [obj('person', [110, 60, 210, 120], 0.5 + 0.25 * PAD)], 2e-3);
  const px = (x: number) => ((x - 18) * 180) / 27;
  const conf = 0.5 + 27 / 64 + (37 / 64) * PAD;
  assertObjects(portrait!, [obj('person', [px(22), 120, px(42), 200], conf)], 2e-3);
});

test('class-wise NMS at the IoU threshold, confidence filter, maxDetections', async () => {
  // Identity mapping: 64×64 frames in a 64×64 input.
  const file = await model('v8-nms.onnx', {
    layout: 'v8',
    metadata: ultralyticsMetadata({ names: NAMES }),
    rows: [
      [20, 20, 20, 20, 0.9, 0, 0], // a: (10,10)–(30,30) person
      [21, 21, 20, 20, 0.8, 0, 0], // b: (11,11)–(31,31) person, IoU with a 361/439 ≈ 0.82: suppressed
      [21, 21, 20, 20, 0, 0.7, 0], // c: same box, bicycle: another class, kept
      [30, 20, 20, 20, 0.6, 0, 0], // d: (20,10)–(40,30) person, IoU with a 1/3
      [50, 50, 4, 4, 0, 0, 0.2], // e: o'clock 0.2
    ],
  });
  const frame = solid(64, 64, 90);
  const a = obj('person', [10, 10, 30, 30], 0.9);
  const c = obj('bicycle', [11, 11, 31, 31], 0.7);
  const dd = obj('person', [20, 10, 40, 30], 0.6);
  const e = obj("o'clock", [48, 48, 52, 52], 0.2);
  assertObjects((await (await open(file)).detect([frame]))[0]!, [a, c, dd]);
  assertObjects((await (await open(file, { iou: 0.3 })).detect([frame]))[0]!, [a, c]);
  assertObjects((await (await open(file, { confidence: 0.1 })).detect([frame]))[0]!, [a, c, dd, e]);
  assertObjects((await (await open(file, { iou: 0.9 })).detect([frame]))[0]!, [a, obj('person', [11, 11, 31, 31], 0.8), c, dd]);
  assertObjects((await (await open(file, { maxDetections: 2 })).detect([frame]))[0]!, [a, c]);
});

test('per-call confidence and IoU override the defaults for that call only, below the default floor too', async () => {
  // The model of the NMS test: a 0.9, b 0.8 (IoU with a ≈ 0.82), c 0.7 (another class), d 0.6 (IoU with a 1/3), e 0.2.
  const file = await model('v8-per-call.onnx', {
    layout: 'v8',
    metadata: ultralyticsMetadata({ names: NAMES }),
    rows: [
      [20, 20, 20, 20, 0.9, 0, 0],
      [21, 21, 20, 20, 0.8, 0, 0],
      [21, 21, 20, 20, 0, 0.7, 0],
      [30, 20, 20, 20, 0.6, 0, 0],
      [50, 50, 4, 4, 0, 0, 0.2],
    ],
  });
  const frame = solid(64, 64, 90);
  const a = obj('person', [10, 10, 30, 30], 0.9);
  const b = obj('person', [11, 11, 31, 31], 0.8);
  const c = obj('bicycle', [11, 11, 31, 31], 0.7);
  const dd = obj('person', [20, 10, 40, 30], 0.6);
  const e = obj("o'clock", [48, 48, 52, 52], 0.2);
  const d = await open(file); // defaults: confidence 0.25, IoU 0.45
  // Concurrent calls with different options, one model, in one queue: each gets its own.
  const [byDefault, lowConf, highConf, lowIou, highIou, both, empty] = await Promise.all([
    d.detect([frame]),
    d.detect([frame, frame], { confidence: 0.1 }), // below the default: e must really come back
    d.detect([frame], { confidence: 0.65 }),
    d.detect([frame], { iou: 0.3 }),
    d.detect([frame], { iou: 0.9 }),
    d.detect([frame], { confidence: 0.15, iou: 0.9 }),
    d.detect([frame], {}),
  ]);
  assertObjects(byDefault[0]!, [a, c, dd]);
  assertObjects(lowConf[0]!, [a, c, dd, e]);
  assertObjects(lowConf[1]!, [a, c, dd, e]);
  assertObjects(highConf[0]!, [a, c]);
  assertObjects(lowIou[0]!, [a, c]);
  assertObjects(highIou[0]!, [a, b, c, dd]);
  assertObjects(both[0]!, [a, b, c, dd, e]);
  assertObjects(empty[0]!, [a, c, dd]);
  assertObjects((await d.detect([frame]))[0]!, [a, c, dd]); // no call changed the defaults
  await assert.rejects(d.detect([frame], { confidence: 1.5 }), /confidence must be a number between 0 and 1/);
  await assert.rejects(d.detect([frame], { iou: Number.NaN }), /iou must be a number between 0 and 1/);

  // v5 (objectness × class score) and end-to-end outputs are decoded at the call's floor too.
  const v5 = await open(
    await model('v5-per-call.onnx', {
      layout: 'v5',
      metadata: ultralyticsMetadata({ names: ['cat', 'dog'] }),
      rows: [
        [...A_V8, 0.5, 0.9, 0.1], // cat 0.45
        [12, 12, 8, 8, 0.5, 0.1, 0.3], // dog 0.15
      ],
    }),
  );
  const cat = obj('cat', [22, 18, 42, 30], 0.45);
  assertObjects((await v5.detect([frame]))[0]!, [cat]);
  assertObjects((await v5.detect([frame], { confidence: 0.1 }))[0]!, [cat, obj('dog', [8, 8, 16, 16], 0.15)]);
  assertObjects((await v5.detect([frame], { confidence: 0.5 }))[0]!, []);
  const e2eRows = [
    [10, 10, 30, 30, 0.9, 0],
    [40, 40, 50, 50, 0.3, 0],
    [0, 0, 5, 5, 0.1, 0],
  ];
  const e2e = await open(
    await model('e2e-per-call.onnx', {
      layout: 'end2end',
      batch: 'dynamic',
      rows: e2eRows,
      metadata: ultralyticsMetadata({ names: ['person'], end2end: true }),
    }),
  );
  assert.deepEqual(
    (await e2e.detect([frame], { confidence: 0.05 }))[0]!.map((o) => o.conf),
    [0.9, 0.3, 0.1].map(Math.fround),
  );
  assert.deepEqual(
    (await e2e.detect([frame], { confidence: 0.5 }))[0]!.map((o) => o.conf),
    [Math.fround(0.9)],
  );
});

test('end2end: no NMS, capped at maxDetections; the end2end metadata settles one-class ambiguity', async () => {
  const rows = [
    [10, 10, 30, 30, 0.9, 0],
    [11, 11, 31, 31, 0.8, 0], // overlaps the first: an end-to-end model has already done NMS
    [0, 0, 5, 5, 0.7, 7], // class index without a name
    [40, 40, 50, 50, 0.3, 0],
    [0, 0, 5, 5, 0.1, 0], // below the threshold
    [0, 0, 0, 0, 0, 0], // unused slot
  ];
  const names = ['person'];
  const hinted = await model('e2e.onnx', { layout: 'end2end', batch: 'dynamic', rows, metadata: ultralyticsMetadata({ names, end2end: true }) });
  const frame = solid(64, 64, 0);
  const all = [
    obj('person', [10, 10, 30, 30], 0.9),
    obj('person', [11, 11, 31, 31], 0.8),
    obj('class7', [0, 0, 5, 5], 0.7),
    obj('person', [40, 40, 50, 50], 0.3),
  ];
  const d = await open(hinted);
  assert.equal(d.layout, 'end2end');
  assertObjects((await d.detect([frame]))[0]!, all);
  assertObjects((await (await open(hinted, { maxDetections: 3 })).detect([frame]))[0]!, all.slice(0, 3));

  // [B, 6, 6] with one class is v5 or end2end: without the metadata, auto refuses to guess.
  const bare = await model('e2e-bare.onnx', { layout: 'end2end', batch: 'dynamic', rows, metadata: ultralyticsMetadata({ names }) });
  await assert.rejects(open(bare), (err: Error) => {
    assert.match(err.message, /e2e-bare\.onnx.*\[batch, 6, 6\].*layout/);
    return true;
  });
  assert.equal((await open(bare, { layout: 'end2end' })).layout, 'end2end');
  assert.equal((await open(bare, { layout: 'v5' })).layout, 'v5');
});

test('class names: labels file without metadata, labels file over metadata, class<i> without either', async () => {
  // Eight anchors so that, without names, the attribute dim (7) is the smaller one.
  const rows = [[...A_V8, 0, 0.9, 0], ...Array.from({ length: 7 }, () => [0, 0, 0, 0, 0, 0, 0])];
  const noNames = await model('v8-nonames.onnx', { layout: 'v8', rows });
  const withNames = await model('v8-names.onnx', { layout: 'v8', rows, metadata: ultralyticsMetadata({ names: NAMES }) });
  const labelsPath = path.join(dir, 'labels.txt');
  await writeFile(labelsPath, 'cat\n\n  dog  \r\nbird\n\n');
  const frame = solid(64, 64, 0);

  const fromLabels = await open(noNames, { labelsPath });
  assert.deepEqual(fromLabels.classes, ['cat', 'dog', 'bird']);
  assert.equal((await fromLabels.detect([frame]))[0]![0]!.class, 'dog');
  const overriding = await open(withNames, { labelsPath });
  assert.deepEqual(overriding.classes, ['cat', 'dog', 'bird']);
  assert.equal((await overriding.detect([frame]))[0]![0]!.class, 'dog');
  assert.equal((await (await open(withNames)).detect([frame]))[0]![0]!.class, 'bicycle');
  const unnamed = await open(noNames);
  assert.equal(unnamed.layout, 'v8');
  assert.deepEqual(unnamed.classes, ['class0', 'class1', 'class2']);
  assert.equal((await unnamed.detect([frame]))[0]![0]!.class, 'class1');
});

test('dynamic H/W: inputSize option, else imgsz metadata, else 640', async () => {
  const rows = [[...A_V8, 0.9, 0, 0]];
  const withImgsz = await model('v8-dynhw.onnx', {
    layout: 'v8',
    input: 'dynamic',
    batch: 'dynamic',
    rows,
    metadata: ultralyticsMetadata({ names: NAMES, imgsz: [48, 64] }),
  });
  const d = await open(withImgsz);
  assert.deepEqual(d.inputSize, { width: 64, height: 48 });
  assertObjects((await d.detect([solid(320, 180, 0)]))[0]!, [obj('person', [110, 60, 210, 120], 0.9)]);
  assert.deepEqual((await open(withImgsz, { inputSize: 32 })).inputSize, { width: 32, height: 32 });
  const noImgsz = await model('v8-dynhw-bare.onnx', { layout: 'v8', input: 'dynamic', rows, metadata: ultralyticsMetadata({ names: NAMES }) });
  assert.deepEqual((await open(noImgsz)).inputSize, { width: 640, height: 640 });
});

test('sha256 is the model file’s (as sha256sum computes it)', async () => {
  const file = await model('v8-hash.onnx', { layout: 'v8', rows: [[...A_V8, 0.9]], metadata: ultralyticsMetadata({ names: ['x'] }) });
  const { stdout } = await promisify(execFile)('sha256sum', [file]);
  const d = await open(file);
  assert.match(d.sha256, /^[0-9a-f]{64}$/);
  assert.equal(d.sha256, stdout.split(' ')[0]);
});

test('calls are served in order; close lets accepted calls finish, then detect rejects', async () => {
  const file = await model('v8-close.onnx', { layout: 'v8', rows: [[...A_V8, 0.9]], metadata: ultralyticsMetadata({ names: ['x'] }) });
  const d = await createOnnxYoloDetector({ name: 'closing', modelPath: file, confidence: 0.25, iou: 0.45 });
  const first = d.detect([solid(320, 180, 0)]);
  const second = d.detect([solid(64, 64, 0), solid(180, 320, 0)]);
  const closed = d.close();
  assert.equal(d.close(), closed, 'close is idempotent');
  await assert.rejects(d.detect([solid(64, 64, 0)]), /closing is closed/);
  assertObjects((await first)[0]!, [obj('x', [110, 20, 210, 80], 0.9)]);
  assert.equal((await second).length, 2);
  await closed;
  await assert.rejects(d.detect([]), /closed/);
});

test('CUDA requested: no CUDA provider in this build, so a warning and the CPU', async () => {
  const file = await model('v8-cuda.onnx', { layout: 'v8', rows: [[...A_V8, 0.9]], metadata: ultralyticsMetadata({ names: ['x'] }) });
  const warnings: { obj: object; msg: string }[] = [];
  const d = await open(file, { executionProvider: 'cuda', log: { warn: (o, msg) => warnings.push({ obj: o, msg }) } });
  assert.equal(d.provider, 'cpu');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.msg, /CUDA/);
  assert.equal((await d.detect([solid(64, 64, 0)]))[0]!.length, 1);
});

test('clear errors: unknown shape, not a model, bad frames, bad options', async () => {
  // Three names, but an output with 5 class scores per anchor.
  const mismatch = await model('v8-mismatch.onnx', {
    layout: 'v8',
    rows: Array.from({ length: 10 }, () => [1, 1, 1, 1, 0, 0, 0, 0, 0]),
    metadata: ultralyticsMetadata({ names: NAMES }),
  });
  await assert.rejects(open(mismatch), /v8-mismatch\.onnx.*\[1, 9, 10\].*3 classes/);
  const junk = path.join(dir, 'junk.onnx');
  await writeFile(junk, 'not a model');
  await assert.rejects(open(junk), /cannot load ONNX model .*junk\.onnx/);
  await assert.rejects(open(path.join(dir, 'missing.onnx')), /missing\.onnx/);
  await assert.rejects(open(mismatch, { confidence: 1.5 }), /confidence must be a number between 0 and 1/);
  await assert.rejects(open(mismatch, { maxBatch: 0 }), /maxBatch must be a positive integer/);

  const ok = await open(await model('v8-ok.onnx', { layout: 'v8', rows: [[...A_V8, 0.9]], metadata: ultralyticsMetadata({ names: ['x'] }) }));
  await assert.rejects(ok.detect([{ width: 4, height: 4, data: new Uint8Array(10) }]), /frame 0/);
});

test(
  'the model runs on threads named fw-detector, so its CPU can be told from the process’s (Linux)',
  { skip: process.platform !== 'linux' && 'thread names are read from /proc' },
  async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const { DETECTOR_THREAD_NAME } = await import('../../src/adapters/detector/thread/serve.js');
    const named = async () => {
      const tids = await readdir('/proc/self/task');
      const comms = await Promise.all(tids.map((t) => readFile(`/proc/self/task/${t}/comm`, 'utf8').catch(() => '')));
      return comms.filter((c) => c.trim() === DETECTOR_THREAD_NAME).length;
    };
    const before = await named();
    const file = await model('v8-named.onnx', { layout: 'v8', batch: 1, metadata: ultralyticsMetadata({ names: NAMES }), rows: [[...A_V8, 0.3, 0, 0]] });
    const d = await open(file, { intraOpThreads: 2 });
    await d.detect([solid(64, 64, 100)]);
    // The worker thread itself, and onnxruntime's intra-op thread it started, inherit the name.
    assert.ok((await named()) >= before + 2, `threads named ${DETECTOR_THREAD_NAME}: ${before} before, ${await named()} after`);
    assert.notEqual((await readFile('/proc/thread-self/comm', 'utf8')).trim(), DETECTOR_THREAD_NAME, 'the calling thread keeps its name');
  },
);

// The Detector contract on real weights: the real Ultralytics YOLOv8n beside the checkout
// (../shared/models, AGPL-3.0: used from there, never copied in). Where it is absent (a user's
// fresh clone) the suite says so and is skipped: the tiny models above cannot find a person.
const REAL_YOLO = fileURLToPath(new URL('../../../shared/models/yolov8n-coco-int8.onnx', import.meta.url));
detectorContract({
  name: 'yolov8n-coco-int8',
  // Its boxes mirror less exactly than the bundled models' (measured on messi5: 25.6 px).
  mirrorTolerancePx: 32,
  make: (o) => createOnnxYoloDetector({ name: 'yolov8n-coco-int8', modelPath: REAL_YOLO, maxBatch: 4, ...o }),
  makeBroken: async (dir) => {
    await writeFile(path.join(dir, 'broken.onnx'), 'not an onnx model');
    return createOnnxYoloDetector({ name: 'broken', modelPath: path.join(dir, 'broken.onnx'), confidence: LOW, iou: 0.5 });
  },
  rounded: false,
  ...(existsSync(REAL_YOLO) ? {} : { skip: '../shared/models/yolov8n-coco-int8.onnx is not here (it lives beside the checkout)' }),
});
