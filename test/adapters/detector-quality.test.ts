import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/core/config.js';
import { CENTERNET_DEFAULTS, YOLO_DEFAULTS } from '../../src/core/model-defaults.js';
import { CENTERNET_INPUT, createCenternetDetector } from '../../src/adapters/detector/tfjs-centernet.js';
import { createOnnxYoloDetector } from '../../src/adapters/detector/onnx-yolo.js';
import { yoloModelInput } from '../../src/adapters/detector/yolo/model-input.js';
import type { Detector } from '../../src/ports/detector.js';
import { sampleVideo, type SampledVideo } from '../../bench/detector-run.js';
import { committedReference, detectSampled, type ReferenceLabels } from '../../bench/quality-run.js';
import { atThreshold, quality, SWEEP_FLOOR } from '../../bench/quality.js';
import { agreement, type FrameBoxes } from '../../bench/agreement.js';

/**
 * The default detector's quality on real video: the bundled CenterNet on the vtest fixture (every
 * 5th frame: 20 frames), against the committed reference (bench/reference/: the real YOLOv8n's
 * boxes on the same frames, machine-made; it needs no ../shared). At the model catalogue's default
 * it agrees with the reference far better than at the design's 0.25, which was every model's
 * default before.
 */
const FIXTURE = fileURLToPath(new URL('../fixtures/vtest-10s.mp4', import.meta.url));
const MODEL = fileURLToPath(new URL('../../../shared/models/yolov8n-coco-int8.onnx', import.meta.url));

describe('detector quality: the bundled CenterNet against the committed reference', () => {
  const config = loadConfig({}, { logLevel: 'warn' });
  let video: SampledVideo;
  let reference: ReferenceLabels;
  let centernet: Detector;
  let low: FrameBoxes[];

  before(async () => {
    video = await sampleVideo(FIXTURE, config);
    reference = (await committedReference(FIXTURE, video.every))!;
    centernet = await createCenternetDetector(CENTERNET_DEFAULTS);
    low = await detectSampled(centernet, video, config, CENTERNET_INPUT, { confidence: SWEEP_FLOOR, iou: CENTERNET_DEFAULTS.iou });
  });
  after(async () => {
    await centernet?.close();
  });

  test('the fixture has a committed reference, found by its SHA-256', () => {
    assert.ok(reference, 'bench/reference/ has labels for test/fixtures/vtest-10s.mp4 at every 5th frame');
    assert.equal(reference.frames.length, 20);
    assert.ok(reference.frames.reduce((a, f) => a + f.objects.length, 0) > 100);
  });

  test('at its catalogue default (0.35, class-agnostic NMS) it agrees with the reference far better than at the design\'s 0.25', () => {
    const q = quality('centernet-coco', low, reference.frames, { confidence: CENTERNET_DEFAULTS.confidence, iou: CENTERNET_DEFAULTS.iou, agnostic: CENTERNET_DEFAULTS.class_agnostic_nms });
    const msg = `default: P ${q.at_default.precision.toFixed(3)} R ${q.at_default.recall.toFixed(3)} F1 ${q.at_default.f1.toFixed(3)}; 0.25: P ${q.at_design_default.precision.toFixed(3)} F1 ${q.at_design_default.f1.toFixed(3)}`;
    assert.ok(q.at_default.f1 >= q.at_design_default.f1 + 0.1, msg);
    assert.ok(q.at_default.precision >= 0.8, msg);
    assert.ok(q.at_default.recall >= 0.8, msg);
    // The default sits near the F1-best threshold of this clip, not at an edge of the sweep.
    assert.ok(Math.abs(q.best.confidence - CENTERNET_DEFAULTS.confidence) <= 0.05, `F1-best at ${q.best.confidence}`);
    // Cross-class suppression never costs a match here: the boxes it removes were false alarms.
    assert.ok(q.at_default.f1 >= q.other_suppression.at_default.f1, msg);
    assert.ok(q.at_default.boxes <= q.other_suppression.at_default.boxes);
  });

  test('the sweep\'s method holds: a run at a threshold is the low-threshold run filtered at it', async () => {
    for (const confidence of [0.25, CENTERNET_DEFAULTS.confidence, 0.5]) {
      const direct = await detectSampled(centernet, video, config, CENTERNET_INPUT, { confidence, iou: CENTERNET_DEFAULTS.iou });
      assert.deepEqual(atThreshold(low, confidence), direct, `at ${confidence}`);
    }
  });

  test('the committed reference is what the real YOLOv8n gives now', { skip: existsSync(MODEL) ? false : '../shared/models/yolov8n-coco-int8.onnx is not here (it lives beside the checkout): nothing to re-make the reference with' }, async () => {
    const yolo = await createOnnxYoloDetector({ name: 'yolov8n-coco-int8', modelPath: MODEL, ...YOLO_DEFAULTS, maxBatch: 8 });
    try {
      assert.equal(yolo.sha256, reference.model.sha256, 'the reference was made with this model file');
      const now = await detectSampled(yolo, video, config, await yoloModelInput(MODEL), YOLO_DEFAULTS);
      const a = agreement(now, reference.frames, 0.9);
      assert.ok(a.f1 >= 0.99, `F1 ${a.f1.toFixed(4)} at IoU 0.9 (${a.matched} of ${a.found} vs ${a.reference}); re-make it with bench/write-reference.ts`);
    } finally {
      await yolo.close();
    }
  });
});
