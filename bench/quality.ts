/**
 * Bench, quality: how well a detector's boxes agree with a reference detector's on the same sampled
 * frames — precision, recall and F1 (same class, IoU ≥ 0.5, matched one to one: `agreement.ts`) at
 * every confidence threshold, the F1-best threshold, and per class for the classes that matter.
 *
 * A detector is run once, at a low threshold (`SWEEP_FLOOR`), and each threshold's boxes are those
 * of at least that confidence: the detector contract says a lower confidence returns at least the
 * objects of a higher one, and NMS suppresses from the highest score down, so a box under the
 * threshold never removed one above it — filtering the low-threshold run is the run at that
 * threshold. Boxes are compared in the displayed frame's pixels (each detector sees the frame at
 * its own travel size).
 */
import type { DetectedObject } from '../src/core/types.js';
import { suppressAcrossClasses } from '../src/core/cross-class-suppression.js';
import { agreement, matchFrame, type FrameBoxes } from './agreement.js';

/** The design's confidence threshold, class-wise NMS only: what every model ran at before the catalogue. */
export const DESIGN_CONFIDENCE = 0.25;

/** The lowest threshold a detector is run at for the sweep. */
export const SWEEP_FLOOR = 0.05;
/** The thresholds of the sweep: 0.05 to 0.95 by 0.01. */
export const SWEEP = Array.from({ length: 91 }, (_, i) => Math.round((SWEEP_FLOOR + i * 0.01) * 100) / 100);

export interface QualityPoint {
  confidence: number;
  precision: number;
  recall: number;
  f1: number;
  /** Boxes the detector reported at this threshold. */
  boxes: number;
}

export interface ClassQuality {
  class: string;
  /** Boxes of the class: the detector's and the reference's. */
  found: number;
  reference: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface DetectorQuality {
  detector: string;
  /** The threshold jobs get by default (the model catalogue's). */
  default_confidence: number;
  /** Whether boxes of other classes suppress each other at the default (the catalogue's `class_agnostic_nms`). */
  class_agnostic_nms: boolean;
  at_default: QualityPoint;
  best: QualityPoint;
  /** At the design's 0.25 with class-wise NMS only: every model's default before the catalogue gave each its own. */
  at_design_default: QualityPoint;
  /** The same figures with cross-class suppression switched the other way, at the F1-best threshold of that setting. */
  other_suppression: { class_agnostic_nms: boolean; at_default: QualityPoint; best: QualityPoint };
  /** Every threshold of the sweep. */
  sweep: QualityPoint[];
  /** Per class at the default threshold: the reference's most frequent classes and the detector's. */
  classes: ClassQuality[];
}

/** The boxes of `frames` of at least `confidence`. */
export function atThreshold(frames: readonly FrameBoxes[], confidence: number): FrameBoxes[] {
  return frames.map((f) => ({ frame: f.frame, objects: f.objects.filter((o) => o.conf >= confidence) }));
}

function point(found: readonly FrameBoxes[], reference: readonly FrameBoxes[], confidence: number): QualityPoint {
  const at = atThreshold(found, confidence);
  const a = agreement(at, reference, 0.5);
  return { confidence, precision: a.precision, recall: a.recall, f1: a.f1, boxes: a.found };
}

/** The point of highest F1 (the lowest threshold among ties). */
function bestOf(points: readonly QualityPoint[]): QualityPoint {
  return points.reduce((best, p) => (p.f1 > best.f1 + 1e-12 ? p : best), points[0]!);
}

/** Per-class figures: matched pairs are always one class, so the frame match restricted to a class counts its pairs. */
export function perClass(found: readonly FrameBoxes[], reference: readonly FrameBoxes[], top = 8): ClassQuality[] {
  const count = (frames: readonly FrameBoxes[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const f of frames) for (const o of f.objects) m.set(o.class, (m.get(o.class) ?? 0) + 1);
    return m;
  };
  const nFound = count(found);
  const nRef = count(reference);
  const byCount = (m: Map<string, number>): string[] => [...m].sort((a, b) => b[1] - a[1]).map(([c]) => c);
  // The reference's most frequent classes, then the detector's (its false alarms show there).
  const chosen = [...new Set([...byCount(nRef).slice(0, top), ...byCount(nFound).slice(0, top)])];
  const ref = new Map(reference.map((f) => [f.frame, f.objects]));
  return chosen.map((cls) => {
    let matched = 0;
    for (const f of found) {
      const r = ref.get(f.frame);
      if (!r) continue;
      matched += matchFrame(
        f.objects.filter((o) => o.class === cls),
        r.filter((o) => o.class === cls),
        0.5,
      );
    }
    const fc = nFound.get(cls) ?? 0;
    const rc = nRef.get(cls) ?? 0;
    const precision = fc === 0 ? 1 : matched / fc;
    const recall = rc === 0 ? 1 : matched / rc;
    return { class: cls, found: fc, reference: rc, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
  });
}

/** Cross-class suppression of every frame at `iou` (see `core/cross-class-suppression.ts`). */
function suppressed(frames: readonly FrameBoxes[], iou: number): FrameBoxes[] {
  return frames.map((f) => ({ frame: f.frame, objects: suppressAcrossClasses(f.objects, iou) }));
}

/**
 * The quality of `found` (a detector's boxes at `SWEEP_FLOOR`, class-wise NMS) against `reference`,
 * with and without cross-class suppression at `iou`; `agnostic` says which of the two the model's
 * default is.
 */
export function quality(
  detector: string,
  found: readonly FrameBoxes[],
  reference: readonly FrameBoxes[],
  defaults: { confidence: number; iou: number; agnostic: boolean },
): DetectorQuality {
  const variant = (agnostic: boolean) => {
    const boxes = agnostic ? suppressed(found, defaults.iou) : [...found];
    const sweep = SWEEP.map((c) => point(boxes, reference, c));
    return { boxes, sweep, at_default: point(boxes, reference, defaults.confidence), best: bestOf(sweep) };
  };
  const chosen = variant(defaults.agnostic);
  const other = variant(!defaults.agnostic);
  return {
    detector,
    default_confidence: defaults.confidence,
    class_agnostic_nms: defaults.agnostic,
    at_default: chosen.at_default,
    best: chosen.best,
    at_design_default: point(found, reference, DESIGN_CONFIDENCE),
    other_suppression: { class_agnostic_nms: !defaults.agnostic, at_default: other.at_default, best: other.best },
    sweep: chosen.sweep,
    classes: perClass(atThreshold(chosen.boxes, defaults.confidence), reference),
  };
}

/** Boxes given at a travel size, in the displayed frame's pixels. */
export function toDisplay(
  objects: readonly DetectedObject[],
  from: { width: number; height: number },
  to: { width: number; height: number },
): DetectedObject[] {
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  if (sx === 1 && sy === 1) return [...objects];
  return objects.map((o) => ({ ...o, box: [o.box[0] * sx, o.box[1] * sy, o.box[2] * sx, o.box[3] * sy] }));
}
