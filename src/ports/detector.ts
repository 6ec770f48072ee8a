import type { FrameImage, DetectedObject } from '../core/types.js';

/**
 * Detector: turns decoded frames into COCO-style detections. It never downloads anything: its
 * weights come from installed files.
 */
export interface Detector {
  /** Stable model name recorded with results, e.g. `centernet-coco`. */
  readonly name: string;
  /** SHA-256 (hex) of the model's weights, recorded with results beside `name`. */
  readonly sha256: string;
  /**
   * For each frame (at its displayed size, rotation already applied), in order, the objects found,
   * with boxes in *that frame's* pixel coordinates, clamped to it, filtered by the confidence
   * threshold and de-duplicated by class-wise NMS at the IoU threshold. The thresholds are the
   * call's `options` where given, else the detector's own (`DetectorOptions`); one call's options
   * never affect another call. Every returned `conf` is at least the confidence threshold, and no
   * two returned boxes of one class overlap by more than the IoU threshold; a lower confidence
   * returns at least the objects of a higher one (same frame, same IoU). Options outside 0–1
   * reject the call. It may be called again before an earlier call settles; calls are served in
   * order. If the model's thread or process dies, this and every later call reject with
   * `DetectorCrashedError`: the detector is unusable and must be replaced (`supervisedDetector`).
   */
  detect(frames: readonly FrameImage[], options?: DetectOptions): Promise<DetectedObject[][]>;
  /** Lets the calls already accepted finish, then releases the model (threads, memory); calls after it reject. */
  close(): Promise<void>;
}

/** The thresholds of one `detect` call; an absent field takes the detector's default (`DetectorOptions`). */
export interface DetectOptions {
  /** Minimum confidence of a kept detection (0–1). */
  confidence?: number;
  /** IoU above which two boxes of one class are the same object (0–1). */
  iou?: number;
}

/** The thresholds a detector is made with: the defaults of every call (see `DetectOptions`). */
export interface DetectorOptions {
  /** Minimum confidence of a kept detection (0–1). */
  confidence: number;
  /** IoU above which two boxes of one class are the same object (0–1). */
  iou: number;
}

/** The detector's thread or process died: this instance is unusable; a new one is needed. */
export class DetectorCrashedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DetectorCrashedError';
  }
}
