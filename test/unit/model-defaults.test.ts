import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUNDLED_MODELS, loadConfig, modelNames } from '../../src/core/config.js';
import { CENTERNET_DEFAULTS, modelDefaults, NANODET_DEFAULTS, YOLO_DEFAULTS } from '../../src/core/model-defaults.js';

const models = JSON.stringify([
  { name: 'yolo-plain', path: '/m/a.onnx' },
  { name: 'yolo-tuned', path: '/m/b.onnx', confidence: 0.4, iou: 0.6, class_agnostic_nms: true },
]);

test("each model has its own defaults: the bundled ones their measured ones, a YOLO model the design's", () => {
  const config = loadConfig({ FRAMEWISE_MODELS: models });
  assert.deepEqual(modelDefaults(config, 'nanodet-coco'), NANODET_DEFAULTS);
  assert.deepEqual(NANODET_DEFAULTS, { confidence: 0.45, iou: 0.45, class_agnostic_nms: false });
  assert.deepEqual(modelDefaults(config, 'centernet-coco'), CENTERNET_DEFAULTS);
  assert.deepEqual(CENTERNET_DEFAULTS, { confidence: 0.35, iou: 0.45, class_agnostic_nms: true });
  assert.deepEqual(modelDefaults(config, 'yolo-plain'), YOLO_DEFAULTS);
  assert.deepEqual(YOLO_DEFAULTS, { confidence: 0.25, iou: 0.45, class_agnostic_nms: false });
});

test("a model spec's own fields win over the server-wide settings, which win over the catalogue", () => {
  const config = loadConfig({ FRAMEWISE_MODELS: models, FRAMEWISE_CONFIDENCE: '0.3', FRAMEWISE_IOU: '0.5' });
  assert.deepEqual(modelDefaults(config, 'yolo-tuned'), { confidence: 0.4, iou: 0.6, class_agnostic_nms: true });
  assert.deepEqual(modelDefaults(config, 'yolo-plain'), { confidence: 0.3, iou: 0.5, class_agnostic_nms: false });
  // The server-wide threshold applies to the bundled model too; its suppression is its own.
  assert.deepEqual(modelDefaults(config, 'centernet-coco'), { confidence: 0.3, iou: 0.5, class_agnostic_nms: true });
});

test("a model spec's thresholds are checked like every setting", () => {
  assert.throws(() => loadConfig({ FRAMEWISE_MODELS: JSON.stringify([{ name: 'y', path: '/m/a.onnx', confidence: 1.5 }]) }), /FRAMEWISE_MODELS/);
  assert.throws(() => loadConfig({ FRAMEWISE_MODELS: JSON.stringify([{ name: 'y', path: '/m/a.onnx', class_agnostic_nms: 'yes' }]) }), /FRAMEWISE_MODELS/);
});

test('both bundled models are served and NanoDet is the default, unless FRAMEWISE_BUNDLED_MODELS / FRAMEWISE_DEFAULT_MODEL say otherwise', () => {
  const plain = loadConfig({});
  assert.deepEqual(plain.bundledModels, [...BUNDLED_MODELS]);
  assert.equal(plain.defaultModel, 'nanodet-coco');
  assert.deepEqual(modelNames(loadConfig({ FRAMEWISE_MODELS: models })), ['nanodet-coco', 'centernet-coco', 'yolo-plain', 'yolo-tuned']);
  const one = loadConfig({ FRAMEWISE_BUNDLED_MODELS: 'centernet-coco', FRAMEWISE_DEFAULT_MODEL: 'centernet-coco' });
  assert.deepEqual(modelNames(one), ['centernet-coco']);
  const none = loadConfig({ FRAMEWISE_BUNDLED_MODELS: '[]', FRAMEWISE_MODELS: models, FRAMEWISE_DEFAULT_MODEL: 'yolo-plain' });
  assert.deepEqual(modelNames(none), ['yolo-plain', 'yolo-tuned']);
});

test('bundled model settings that cannot work stop start-up, naming the variable', () => {
  assert.throws(() => loadConfig({ FRAMEWISE_BUNDLED_MODELS: 'centernet-coco' }), /FRAMEWISE_DEFAULT_MODEL.*"nanodet-coco" is not a model \(centernet-coco\)/);
  assert.throws(() => loadConfig({ FRAMEWISE_BUNDLED_MODELS: 'yolox' }), /FRAMEWISE_BUNDLED_MODELS/);
  assert.throws(() => loadConfig({ FRAMEWISE_BUNDLED_MODELS: 'nanodet-coco,nanodet-coco' }), /FRAMEWISE_BUNDLED_MODELS/);
  assert.throws(
    () => loadConfig({ FRAMEWISE_BUNDLED_MODELS: '[]', FRAMEWISE_DEFAULT_MODEL: 'x' }),
    /FRAMEWISE_BUNDLED_MODELS.*no bundled model and no FRAMEWISE_MODELS/,
  );
  assert.throws(
    () => loadConfig({ FRAMEWISE_MODELS: JSON.stringify([{ name: 'nanodet-coco', path: '/m/a.onnx' }]) }),
    /"nanodet-coco" is a bundled model's name/,
  );
});
