import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/core/config.js';
import { CENTERNET_DEFAULTS, NANODET_DEFAULTS, YOLO_DEFAULTS, type ModelDefaults } from '../../src/core/model-defaults.js';
import { CENTERNET_INPUT, createCenternetDetector } from '../../src/adapters/detector/tfjs-centernet.js';
import { createNanodetDetector, NANODET_INPUT } from '../../src/adapters/detector/onnx-nanodet.js';
import type { ModelInput } from '../../src/core/model-input.js';
import { createOnnxYoloDetector } from '../../src/adapters/detector/onnx-yolo.js';
import { yoloModelInput } from '../../src/adapters/detector/yolo/model-input.js';
import type { Detector } from '../../src/ports/detector.js';
import { sampleVideo, type SampledVideo } from '../../bench/detector-run.js';
import { committedReference, detectSampled, type ReferenceLabels } from '../../bench/quality-run.js';
import { atThreshold, quality, SWEEP_FLOOR } from '../../bench/quality.js';
import { agreement, type FrameBoxes } from '../../bench/agreement.js';

/**
 * The bundled detectors' quality on real video: each on the vtest fixture (every 5th frame: 20
 * frames), against the committed reference (bench/reference/: the real YOLOv8n's boxes on the same
 * frames, machine-made; it needs no ../shared). At its catalogue default each agrees with the
 * reference far better than at the design's 0.25, which was every model's default before; the
 * default model (NanoDet-g) better than CenterNet.
 */
const FIXTURE = fileURLToPath(new URL('../fixtures/vtest-10s.mp4', import.meta.url));
const MODEL = fileURLToPath(new URL('../../../shared/models/yolov8n-coco-int8.onnx', import.meta.url));

interface Bundled {
  name: string;
  defaults: ModelDefaults;
  input: ModelInput;
  make: () => Promise<Detector>;
  /** F1 at its default on this clip is at least this (measured: NanoDet-g 0.948, CenterNet 0.864). */
  minF1: number;
}

const BUNDLED: Bundled[] = [
  { name: 'nanodet-coco', defaults: NANODET_DEFAULTS, input: NANODET_INPUT, make: () => createNanodetDetector(NANODET_DEFAULTS), minF1: 0.9 },
  { name: 'centernet-coco', defaults: CENTERNET_DEFAULTS, input: CENTERNET_INPUT, make: () => createCenternetDetector(CENTERNET_DEFAULTS), minF1: 0.8 },
];

const config = loadConfig({}, { logLevel: 'warn' });
let video: SampledVideo;
let reference: ReferenceLabels;
before(async () => {
  video = await sampleVideo(FIXTURE, config);
  reference = (await committedReference(FIXTURE, video.every))!;
});

for (const model of BUNDLED)
  describe(`detector quality: the bundled ${model.name} against the committed reference`, () => {
    const defaults = model.defaults;
    let detector: Detector;
    let low: FrameBoxes[];

    before(async () => {
      detector = await model.make();
      low = await detectSampled(detector, video, config, model.input, { confidence: SWEEP_FLOOR, iou: defaults.iou });
    });
    after(async () => {
      await detector?.close();
    });

    test(`at its catalogue default (${defaults.confidence}${defaults.class_agnostic_nms ? ', class-agnostic NMS' : ''}) it agrees with the reference far better than at the design's 0.25`, () => {
      const q = quality(model.name, low, reference.frames, { confidence: defaults.confidence, iou: defaults.iou, agnostic: defaults.class_agnostic_nms });
      const msg = `default: P ${q.at_default.precision.toFixed(3)} R ${q.at_default.recall.toFixed(3)} F1 ${q.at_default.f1.toFixed(3)}; 0.25: P ${q.at_design_default.precision.toFixed(3)} F1 ${q.at_design_default.f1.toFixed(3)}`;
      assert.ok(q.at_default.f1 >= q.at_design_default.f1 + 0.1, msg);
      assert.ok(q.at_default.f1 >= model.minF1, msg);
      assert.ok(q.at_default.precision >= 0.8, msg);
      assert.ok(q.at_default.recall >= 0.8, msg);
      // The default sits near the F1-best threshold of this clip, not at an edge of the sweep.
      assert.ok(Math.abs(q.best.confidence - defaults.confidence) <= 0.05, `F1-best at ${q.best.confidence}`);
      // Where the model suppresses across classes, that never costs a match here: the boxes it
      // removes were false alarms; where it does not, doing so would gain nothing.
      assert.ok(q.at_default.f1 >= q.other_suppression.at_default.f1 - (defaults.class_agnostic_nms ? 0 : 1e-9), msg);
      if (defaults.class_agnostic_nms) assert.ok(q.at_default.boxes <= q.other_suppression.at_default.boxes);
    });

    test("the sweep's method holds: a run at a threshold is the low-threshold run filtered at it", async () => {
      for (const confidence of [0.25, defaults.confidence, 0.5]) {
        const direct = await detectSampled(detector, video, config, model.input, { confidence, iou: defaults.iou });
        assert.deepEqual(atThreshold(low, confidence), direct, `at ${confidence}`);
      }
    });
  });

describe('the committed reference', () => {
  test('the fixture has a committed reference, found by its SHA-256', () => {
    assert.ok(reference, 'bench/reference/ has labels for test/fixtures/vtest-10s.mp4 at every 5th frame');
    assert.equal(reference.frames.length, 20);
    assert.ok(reference.frames.reduce((a, f) => a + f.objects.length, 0) > 100);
  });

  test(
    'the committed reference is what the real YOLOv8n gives now',
    {
      skip: existsSync(MODEL)
        ? false
        : '../shared/models/yolov8n-coco-int8.onnx is not here (it lives beside the checkout): nothing to re-make the reference with',
    },
    async () => {
      const yolo = await createOnnxYoloDetector({ name: 'yolov8n-coco-int8', modelPath: MODEL, ...YOLO_DEFAULTS, maxBatch: 8 });
      try {
        assert.equal(yolo.sha256, reference.model.sha256, 'the reference was made with this model file');
        const now = await detectSampled(yolo, video, config, await yoloModelInput(MODEL), YOLO_DEFAULTS);
        const a = agreement(now, reference.frames, 0.9);
        assert.ok(a.f1 >= 0.99, `F1 ${a.f1.toFixed(4)} at IoU 0.9 (${a.matched} of ${a.found} vs ${a.reference}); re-make it with bench/write-reference.ts`);
      } finally {
        await yolo.close();
      }
    },
  );
});

test('the default model agrees with the reference better than CenterNet does', async () => {
  // Both measured above; here, side by side at their defaults on the same frames.
  const f1 = async (m: Bundled): Promise<number> => {
    const d = await m.make();
    try {
      const found = await detectSampled(d, video, config, m.input, { confidence: SWEEP_FLOOR, iou: m.defaults.iou });
      return quality(m.name, found, reference.frames, { confidence: m.defaults.confidence, iou: m.defaults.iou, agnostic: m.defaults.class_agnostic_nms })
        .at_default.f1;
    } finally {
      await d.close();
    }
  };
  const [nanodet, centernet] = [await f1(BUNDLED[0]!), await f1(BUNDLED[1]!)];
  assert.ok(nanodet > centernet + 0.03, `nanodet-coco F1 ${nanodet.toFixed(3)}, centernet-coco ${centernet.toFixed(3)}`);
});
