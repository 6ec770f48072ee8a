import type { Logger } from 'pino';
import type { BundledModel, Config, ModelSpec } from '../core/config.js';
import type { Detector } from '../ports/detector.js';
import type { Metrics } from '../observability/metrics.js';
import { createCenternetDetector } from '../adapters/detector/tfjs-centernet.js';
import { createNanodetDetector } from '../adapters/detector/onnx-nanodet.js';
import { createOnnxYoloDetector } from '../adapters/detector/onnx-yolo.js';
import { openDetectorCatalog, type DetectorCatalog, type DetectorFactory } from '../stages/inference/detector-catalog.js';
import { measuredDetector, type InferenceStats } from '../stages/inference/stats.js';
import { supervisedDetector } from '../stages/inference/supervised-detector.js';
import { batchingDetector } from '../stages/inference/batching-detector.js';
import { replicatedDetector } from '../stages/inference/replicated-detector.js';
import { availableParallelism } from 'node:os';
import { modelDefaults, type ModelDefaults } from '../core/model-defaults.js';

/**
 * Replicas of a model per inference worker: the spec's, else FRAMEWISE_DETECTOR_REPLICAS, else one
 * per core up to 4 on the CPU (one on CUDA, where the GPU runs a batch far faster than the CPU
 * prepares the next).
 */
export function replicasOf(
  spec: Pick<ModelSpec, 'replicas' | 'provider'> | undefined,
  config: Pick<Config, 'detectorReplicas'>,
  cores = availableParallelism(),
): number {
  if (spec?.replicas !== undefined) return spec.replicas;
  if (config.detectorReplicas > 0) return config.detectorReplicas;
  return spec?.provider === 'cuda' ? 1 : Math.max(1, Math.min(cores, 4));
}

/** Intra-op threads of each replica of a CPU YOLO model, unless its spec says: the cores shared among the replicas. */
export function intraOpThreadsOf(spec: Pick<ModelSpec, 'intra_op_threads' | 'provider'>, replicas: number, cores = availableParallelism()): number | undefined {
  if (spec.intra_op_threads !== undefined) return spec.intra_op_threads;
  if (spec.provider === 'cuda') return undefined;
  return Math.max(1, Math.floor(cores / replicas));
}

/** A model's default thresholds, as its detector is made with them (tasks state their own anyway). */
const thresholdsOf = (d: ModelDefaults): { confidence: number; iou: number } => ({ confidence: d.confidence, iou: d.iou });

/** A configured YOLO ONNX model's detector (config names → adapter options). */
const yolo =
  (spec: ModelSpec, config: Config, log: Logger, intraOpThreads: number | undefined): DetectorFactory =>
  () =>
    createOnnxYoloDetector({
      name: spec.name,
      modelPath: spec.path,
      ...(spec.labels !== undefined ? { labelsPath: spec.labels } : {}),
      ...thresholdsOf(modelDefaults(config, spec.name)),
      ...(spec.layout !== undefined ? { layout: spec.layout } : {}),
      ...(spec.input_size !== undefined ? { inputSize: spec.input_size } : {}),
      ...(spec.max_batch !== undefined ? { maxBatch: spec.max_batch } : {}),
      ...(spec.provider !== undefined ? { executionProvider: spec.provider } : {}),
      ...(intraOpThreads !== undefined && intraOpThreads > 0 ? { intraOpThreads } : {}),
      ...(spec.inter_op_threads !== undefined ? { interOpThreads: spec.inter_op_threads } : {}),
      log,
    });

/** How each bundled model's detector is made, at its defaults. */
const BUNDLED_DETECTORS: Readonly<Record<BundledModel, (t: { confidence: number; iou: number }, replicas: number) => Promise<Detector>>> = {
  // Its replicas share the cores, as a YOLO model's do: onnxruntime's default (a thread per core
  // per session) oversubscribes them, and its spinning threads take the cores the rest needs.
  'nanodet-coco': (t, replicas) => createNanodetDetector({ ...t, intraOpThreads: intraOpThreadsOf({}, replicas)! }),
  'centernet-coco': (t) => createCenternetDetector(t),
};

/**
 * Every model of the config, loaded, each restarted if it crashes, measured and fed in batches
 * (`inferenceBatchSize` frames or `inferenceBatchWaitMs`): the bundled models served here
 * (`injected`, a test's stand-in, replaces the default one) and the configured YOLO ONNX models.
 * `stats` are the default model's (the inference worker's `GET /data`).
 */
export async function openDetectors(
  config: Config,
  log: Logger,
  metrics: Metrics,
  injected?: Detector,
): Promise<{ detectors: DetectorCatalog; stats: () => InferenceStats }> {
  const factories = new Map<string, { make: DetectorFactory; replicas: number }>();
  // A test's stand-in is one detector: it is not replicated.
  for (const name of config.bundledModels) {
    const stand = injected && name === config.defaultModel;
    const replicas = stand ? 1 : replicasOf(undefined, config);
    const make: DetectorFactory = stand ? async () => injected : () => BUNDLED_DETECTORS[name](thresholdsOf(modelDefaults(config, name)), replicas);
    factories.set(name, { make, replicas });
  }
  for (const spec of config.models) {
    const replicas = replicasOf(spec, config);
    factories.set(spec.name, { make: yolo(spec, config, log, intraOpThreadsOf(spec, replicas)), replicas });
  }
  const stats = new Map<string, () => InferenceStats>();
  const measured = new Map<string, DetectorFactory>();
  for (const [name, { make, replicas }] of factories) {
    measured.set(name, async () => {
      const each = await Promise.all(Array.from({ length: replicas }, () => supervisedDetector(make, log)));
      const m = measuredDetector(replicatedDetector(each), metrics);
      stats.set(name, m.stats);
      // Two batches per replica: one running, the next gathered and waiting.
      return batchingDetector(m.detector, { maxBatch: config.inferenceBatchSize, maxWaitMs: config.inferenceBatchWaitMs, maxOutstanding: 2 * replicas });
    });
  }
  const detectors = await openDetectorCatalog(measured, config.defaultModel);
  log.info({ models: detectors.names, default: detectors.defaultModel }, 'models loaded');
  return { detectors, stats: () => stats.get(detectors.defaultModel)!() };
}
