import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COCO_CLASSES } from '../../src/adapters/detector/coco-classes.js';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE, isFinished, startServer, waitForResult, type Server } from './server.js';
import { ultralyticsMetadata, writeTinyYoloModel } from '../support/yolo-models.js';
import { iou } from '../../src/core/tracking/byte-tracker.js';
import { defaultNanodetModelPath } from '../../src/adapters/detector/onnx-nanodet.js';

const NANODET_FILE = defaultNanodetModelPath();

/**
 * Models by name, end to end in `framewise serve`: a YOLOv8-layout ONNX model (tiny, made here,
 * see test/support/yolo-models.ts) beside the bundled detectors. A job that chooses it gets its
 * classes, its boxes mapped back to the video's frames, and its name and hash in the result.
 */
describe('models by name (embedded, real onnxruntime)', () => {
  let dir: string;
  let server: Server;
  let modelPath: string;
  // One detection in a 64×64 input: centre (32, 40), 20×16; class 0 at 0.9, class 1 at 0.2.
  const rows = [[32, 40, 20, 16, 0.9, 0.2]];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-models-'));
    modelPath = await writeTinyYoloModel(dir, 'tiny.onnx', {
      layout: 'v8',
      rows,
      batch: 'dynamic',
      metadata: ultralyticsMetadata({ names: ['widget', 'gadget'], imgsz: [64, 64] }),
    });
    // Two detections of one object as two classes (widget 0.9; gadget 0.5, its box 1 px over), as
    // one file of three models: the design's defaults, a stricter default confidence, class-agnostic NMS.
    const pair = await writeTinyYoloModel(dir, 'pair.onnx', {
      layout: 'v8',
      rows: [
        [32, 40, 20, 16, 0.9, 0],
        [33, 40, 20, 16, 0, 0.5],
      ],
      batch: 'dynamic',
      metadata: ultralyticsMetadata({ names: ['widget', 'gadget'], imgsz: [64, 64] }),
    });
    const models = [
      { name: 'tiny', path: modelPath },
      { name: 'pair', path: pair },
      { name: 'pair-strict', path: pair, confidence: 0.6 },
      { name: 'pair-agnostic', path: pair, class_agnostic_nms: true },
    ];
    server = await startServer(join(dir, 'data'), { FRAMEWISE_MODELS: JSON.stringify(models) });
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = async (query: string) => {
    const form = new FormData();
    form.append('file', new Blob([await readFile(FIXTURE)]), 'vtest-10s.mp4');
    const r = await fetch(`${server.url}/api/upload_video${query}`, { method: 'POST', body: form });
    assert.equal(r.status, 200, await r.clone().text());
    return ((await r.json()) as { event_id: string }).event_id;
  };

  test('the server lists the bundled models and the configured ones; the bundled NanoDet stays the default', async () => {
    const r = await (await fetch(`${server.url}/api/models`)).json();
    assert.deepEqual(r, {
      default: 'nanodet-coco',
      models: [
        { name: 'nanodet-coco', classes: [...COCO_CLASSES], defaults: { confidence: 0.45, iou: 0.45, class_agnostic_nms: false } },
        { name: 'centernet-coco', classes: [...COCO_CLASSES], defaults: { confidence: 0.35, iou: 0.45, class_agnostic_nms: true } },
        { name: 'tiny', defaults: { confidence: 0.25, iou: 0.45, class_agnostic_nms: false } },
        { name: 'pair', defaults: { confidence: 0.25, iou: 0.45, class_agnostic_nms: false } },
        { name: 'pair-strict', defaults: { confidence: 0.6, iou: 0.45, class_agnostic_nms: false } },
        { name: 'pair-agnostic', defaults: { confidence: 0.25, iou: 0.45, class_agnostic_nms: true } },
      ],
    });
  });

  test('a job that chooses the model gets its classes, boxes in frame pixels, and its name and hash', async () => {
    const id = await upload('?model=tiny');
    const result = await waitForResult(server.url, id, isFinished);
    assert.equal(result.status, 'ready', JSON.stringify(result).slice(0, 300));
    const sha256 = createHash('sha256')
      .update(await readFile(modelPath))
      .digest('hex');
    assert.deepEqual(result.model, { name: 'tiny', sha256 });
    assert.ok(result.prediction.length >= 10);
    // vtest frames are 768×576: letterboxed to 64×48 at r = 1/12, padded 8 px above and below.
    const expected = [(32 - 10) * 12, (40 - 8 - 8) * 12, (32 + 10) * 12, (40 + 8 - 8) * 12];
    for (const f of result.prediction) {
      assert.equal(f.objects.length, 1, `frame ${f.frame}: the class-1 score 0.2 is under the confidence threshold`);
      const [o] = f.objects;
      assert.equal(o.class, 'widget');
      assert.ok(Math.abs(o.conf - 0.9) < 1e-6);
      o.box.forEach((v: number, i: number) => assert.ok(Math.abs(v - expected[i]!) < 1e-3, `frame ${f.frame}: box ${o.box} vs ${expected}`));
    }
  });

  test("a model's own defaults run its jobs and are recorded: its confidence, and class-agnostic NMS where it has it", async () => {
    const ids = await Promise.all(['pair', 'pair-strict', 'pair-agnostic', 'pair-strict&confidence=0.4'].map((m) => upload(`?model=${m}`)));
    const [plain, strict, agnostic, own] = await Promise.all(ids.map((id) => waitForResult(server.url, id, isFinished)));
    const classes = (r: any): string[][] => r.prediction.map((f: { objects: Array<{ class: string }> }) => f.objects.map((o) => o.class));
    for (const r of [plain, strict, agnostic, own]) assert.equal(r.status, 'ready', JSON.stringify(r).slice(0, 300));
    assert.deepEqual(plain.parameters, { sample_every: 5, model: 'pair', confidence: 0.25, iou: 0.45 });
    assert.ok(
      classes(plain).every((c) => c.join() === 'widget,gadget'),
      'class-wise NMS: both boxes',
    );
    assert.deepEqual(strict.parameters, { sample_every: 5, model: 'pair-strict', confidence: 0.6, iou: 0.45 });
    assert.ok(
      classes(strict).every((c) => c.join() === 'widget'),
      "the model's confidence 0.6 drops the 0.5 box",
    );
    assert.deepEqual(agnostic.parameters, { sample_every: 5, model: 'pair-agnostic', confidence: 0.25, iou: 0.45, class_agnostic_nms: true });
    assert.ok(
      classes(agnostic).every((c) => c.join() === 'widget'),
      'class-agnostic NMS: one object, its most confident class',
    );
    // A job's own threshold still wins over its model's.
    assert.equal(own.parameters.confidence, 0.4);
    assert.ok(classes(own).every((c) => c.join() === 'widget,gadget'));
  });

  test('a job that chooses nothing runs the bundled NanoDet; one that chooses centernet-coco runs CenterNet at its own defaults', async () => {
    const [id, other] = await Promise.all([upload(''), upload('?model=centernet-coco')]);
    const [result, centernet] = await Promise.all([waitForResult(server.url, id, isFinished), waitForResult(server.url, other, isFinished)]);
    assert.equal(result.status, 'ready');
    assert.deepEqual(result.model, {
      name: 'nanodet-coco',
      sha256: createHash('sha256')
        .update(await readFile(NANODET_FILE))
        .digest('hex'),
    });
    assert.ok(result.prediction.some((f: { objects: Array<{ class: string }> }) => f.objects.some((o) => o.class === 'person')));
    assert.equal(centernet.status, 'ready');
    assert.equal(centernet.model.name, 'centernet-coco');
    assert.deepEqual(centernet.parameters, { sample_every: 5, model: 'centernet-coco', confidence: 0.35, iou: 0.45, class_agnostic_nms: true });
    for (const f of centernet.prediction) {
      for (const [i, a] of f.objects.entries()) {
        // 0.46: boxes were compared before they were rounded to 0.01 px.
        for (const b of f.objects.slice(i + 1))
          assert.ok(iou(a.box, b.box) <= 0.46, `frame ${f.frame}: ${a.class} and ${b.class} overlap: class-agnostic NMS keeps one`);
      }
    }
  });
});
