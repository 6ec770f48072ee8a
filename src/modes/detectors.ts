import type { Logger } from 'pino';
import { BUNDLED_MODEL, type Config, type ModelSpec } from '../core/config.js';
import type { Detector } from '../ports/detector.js';
import type { Metrics } from '../observability/metrics.js';
import { createCenternetDetector } from '../adapters/detector/tfjs-centernet.js';
import { createOnnxYoloDetector } from '../adapters/detector/onnx-yolo.js';
import { openDetectorCatalog, type DetectorCatalog, type DetectorFactory } from '../stages/inference/detector-catalog.js';
import { measuredDetector, type InferenceStats } from '../stages/inference/stats.js';
import { supervisedDetector } from '../stages/inference/supervised-detector.js';
import { batchingDetector } from '../stages/inference/batching-detector.js';

/** A configured YOLO ONNX model's detector (config names → adapter options). */
const yolo = (spec: ModelSpec, config: Config, log: Logger): DetectorFactory => () =>
  createOnnxYoloDetector({
    name: spec.name,
    modelPath: spec.path,
    ...(spec.labels !== undefined ? { labelsPath: spec.labels } : {}),
    confidence: config.confidence,
    iou: config.iou,
    ...(spec.layout !== undefined ? { layout: spec.layout } : {}),
    ...(spec.input_size !== undefined ? { inputSize: spec.input_size } : {}),
    ...(spec.max_batch !== undefined ? { maxBatch: spec.max_batch } : {}),
    ...(spec.provider !== undefined ? { executionProvider: spec.provider } : {}),
    ...(spec.intra_op_threads !== undefined ? { intraOpThreads: spec.intra_op_threads } : {}),
    ...(spec.inter_op_threads !== undefined ? { interOpThreads: spec.inter_op_threads } : {}),
    log,
  });

/**
 * Every model of the config, loaded, each restarted if it crashes, measured and fed in batches
 * (`inferenceBatchSize` frames or `inferenceBatchWaitMs`): the bundled
 * CenterNet (or `injected`, a test's stand-in for it) and the configured YOLO ONNX models.
 * `stats` are the default model's (the inference worker's `GET /data`).
 */
export async function openDetectors(config: Config, log: Logger, metrics: Metrics, injected?: Detector): Promise<{ detectors: DetectorCatalog; stats: () => InferenceStats }> {
  const factories = new Map<string, DetectorFactory>();
  const bundled: DetectorFactory = injected ? async () => injected : () => createCenternetDetector({ confidence: config.confidence, iou: config.iou });
  factories.set(BUNDLED_MODEL, bundled);
  for (const spec of config.models) factories.set(spec.name, yolo(spec, config, log));
  const stats = new Map<string, () => InferenceStats>();
  const measured = new Map<string, DetectorFactory>();
  for (const [name, make] of factories) {
    measured.set(name, async () => {
      const m = measuredDetector(await supervisedDetector(make, log), metrics);
      stats.set(name, m.stats);
      return batchingDetector(m.detector, { maxBatch: config.inferenceBatchSize, maxWaitMs: config.inferenceBatchWaitMs });
    });
  }
  const detectors = await openDetectorCatalog(measured, config.defaultModel);
  log.info({ models: detectors.names, default: detectors.defaultModel }, 'models loaded');
  return { detectors, stats: () => stats.get(detectors.defaultModel)!() };
}
