import type { BundledModel, Config } from './config.js';

/** What a model's jobs detect with when they choose nothing themselves. */
export interface ModelDefaults {
  /** Minimum confidence of a kept detection (0–1). */
  confidence: number;
  /** IoU above which two boxes are one object (0–1). */
  iou: number;
  /** Whether boxes of different classes suppress each other too (after the class-wise NMS). */
  class_agnostic_nms: boolean;
}

/**
 * The design's thresholds: what Ultralytics made for its YOLO models' scores (its `conf=0.25`,
 * `iou=0.45`), so every configured YOLO model starts there.
 */
export const YOLO_DEFAULTS: ModelDefaults = { confidence: 0.25, iou: 0.45, class_agnostic_nms: false };

/**
 * The bundled CenterNet's, chosen by measurement (`npm run bench -- --quality`): its scores run on
 * another scale than YOLO's, and at 0.25 it reported 2,164 boxes on vtest.avi where the reference
 * (the real YOLOv8n) reported 1,299 — F1 0.71 (precision 0.56, recall 0.94), with 120 fire
 * hydrants and 143 sports balls on a pedestrian street. Its F1-best threshold was 0.34 (F1 0.859);
 * 0.35 (0.857) is kept, as one video cannot place the best finer than that. Cross-class
 * suppression removes the second box it gives some objects (one centre, two classes: person and
 * skis): F1 0.857 → 0.860, and it never lowered recall there. See bench/README.md, "Quality".
 */
export const CENTERNET_DEFAULTS: ModelDefaults = { confidence: 0.35, iou: 0.45, class_agnostic_nms: true };

/**
 * The bundled NanoDet-g's, chosen by the same measurement: its scores are sharper still — at 0.25
 * it reported 3,481 boxes on vtest.avi (F1 0.52), at 0.45 1,241 (precision 0.95, recall 0.91,
 * F1 0.931; the F1-best, 0.47, gave 0.932). Cross-class suppression changed nothing there
 * (0.931 either way), so its boxes are suppressed class-wise only, as its authors' code does.
 */
export const NANODET_DEFAULTS: ModelDefaults = { confidence: 0.45, iou: 0.45, class_agnostic_nms: false };

/** Each bundled model's defaults. */
export const BUNDLED_DEFAULTS: Readonly<Record<BundledModel, ModelDefaults>> = { 'nanodet-coco': NANODET_DEFAULTS, 'centernet-coco': CENTERNET_DEFAULTS };

/**
 * A model's defaults: its spec's fields (`FRAMEWISE_MODELS`), else the server-wide
 * FRAMEWISE_CONFIDENCE / FRAMEWISE_IOU where set, else the catalogue's (the bundled model's
 * measured ones, the design's (docs/architecture.md) for YOLO). A job's own `confidence` and `iou` win over all of these.
 */
export function modelDefaults(config: Pick<Config, 'models' | 'confidence' | 'iou'>, model: string): ModelDefaults {
  const base = (BUNDLED_DEFAULTS as Readonly<Record<string, ModelDefaults>>)[model] ?? YOLO_DEFAULTS;
  const spec = config.models.find((m) => m.name === model);
  return {
    confidence: spec?.confidence ?? config.confidence ?? base.confidence,
    iou: spec?.iou ?? config.iou ?? base.iou,
    class_agnostic_nms: spec?.class_agnostic_nms ?? base.class_agnostic_nms,
  };
}
