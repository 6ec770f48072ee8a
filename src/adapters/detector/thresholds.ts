/** A `detect` call's thresholds: its options over the detector's defaults (see the `Detector` port). */
import type { DetectOptions, DetectorOptions } from '../../ports/detector.js';

/** Throws unless every given threshold is a number in 0–1; absent ones are fine. */
export function checkDetectOptions(options: DetectOptions | undefined): void {
  for (const name of ['confidence', 'iou'] as const) {
    const v = options?.[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1)) {
      throw new Error(`${name} must be a number between 0 and 1, got ${String(v)}`);
    }
  }
}

/** The thresholds one call runs with: each given option, else the detector's default. */
export function callThresholds(defaults: DetectorOptions, options: DetectOptions | undefined): DetectorOptions {
  checkDetectOptions(options);
  return { confidence: options?.confidence ?? defaults.confidence, iou: options?.iou ?? defaults.iou };
}
