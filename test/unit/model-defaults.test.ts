import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/core/config.js';
import { CENTERNET_DEFAULTS, modelDefaults, YOLO_DEFAULTS } from '../../src/core/model-defaults.js';

const models = JSON.stringify([
  { name: 'yolo-plain', path: '/m/a.onnx' },
  { name: 'yolo-tuned', path: '/m/b.onnx', confidence: 0.4, iou: 0.6, class_agnostic_nms: true },
]);

test('each model has its own defaults: the bundled CenterNet its measured ones, a YOLO model the design\'s', () => {
  const config = loadConfig({ FRAMEWISE_MODELS: models });
  assert.deepEqual(modelDefaults(config, 'centernet-coco'), CENTERNET_DEFAULTS);
  assert.deepEqual(CENTERNET_DEFAULTS, { confidence: 0.35, iou: 0.45, class_agnostic_nms: true });
  assert.deepEqual(modelDefaults(config, 'yolo-plain'), YOLO_DEFAULTS);
  assert.deepEqual(YOLO_DEFAULTS, { confidence: 0.25, iou: 0.45, class_agnostic_nms: false });
});

test('a model spec\'s own fields win over the server-wide settings, which win over the catalogue', () => {
  const config = loadConfig({ FRAMEWISE_MODELS: models, FRAMEWISE_CONFIDENCE: '0.3', FRAMEWISE_IOU: '0.5' });
  assert.deepEqual(modelDefaults(config, 'yolo-tuned'), { confidence: 0.4, iou: 0.6, class_agnostic_nms: true });
  assert.deepEqual(modelDefaults(config, 'yolo-plain'), { confidence: 0.3, iou: 0.5, class_agnostic_nms: false });
  // The server-wide threshold applies to the bundled model too; its suppression is its own.
  assert.deepEqual(modelDefaults(config, 'centernet-coco'), { confidence: 0.3, iou: 0.5, class_agnostic_nms: true });
});

test('a model spec\'s thresholds are checked like every setting', () => {
  assert.throws(() => loadConfig({ FRAMEWISE_MODELS: JSON.stringify([{ name: 'y', path: '/m/a.onnx', confidence: 1.5 }]) }), /FRAMEWISE_MODELS/);
  assert.throws(() => loadConfig({ FRAMEWISE_MODELS: JSON.stringify([{ name: 'y', path: '/m/a.onnx', class_agnostic_nms: 'yes' }]) }), /FRAMEWISE_MODELS/);
});
