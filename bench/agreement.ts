/**
 * How well two detectors' boxes agree on the same frames: each frame's boxes are matched one to one,
 * same class only, best IoU first (greedy, as COCO's evaluation matches), a pair counting when its
 * IoU is at least `minIou`. With one side taken as the reference: precision = matched / found,
 * recall = matched / reference, F1 their harmonic mean.
 */
import type { Box, DetectedObject } from '../src/core/types.js';

export interface FrameBoxes {
  frame: number;
  objects: readonly DetectedObject[];
}

export interface Agreement {
  /** Boxes of the tested side, of the reference side, and pairs matched. */
  found: number;
  reference: number;
  matched: number;
  precision: number;
  recall: number;
  f1: number;
  /** Frames present on one side only. */
  unpairedFrames: number[];
}

export function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Matched pairs of one frame: same class, IoU ≥ `minIou`, best first, each box at most once. */
export function matchFrame(found: readonly DetectedObject[], reference: readonly DetectedObject[], minIou: number): number {
  const pairs: Array<[number, number, number]> = [];
  found.forEach((f, i) =>
    reference.forEach((r, j) => {
      if (f.class !== r.class) return;
      const v = iou(f.box, r.box);
      if (v >= minIou) pairs.push([v, i, j]);
    }),
  );
  pairs.sort((a, b) => b[0] - a[0]);
  const usedF = new Set<number>();
  const usedR = new Set<number>();
  let matched = 0;
  for (const [, i, j] of pairs) {
    if (usedF.has(i) || usedR.has(j)) continue;
    usedF.add(i);
    usedR.add(j);
    matched++;
  }
  return matched;
}

export function agreement(found: readonly FrameBoxes[], reference: readonly FrameBoxes[], minIou = 0.5): Agreement {
  const ref = new Map(reference.map((f) => [f.frame, f.objects]));
  const seen = new Set<number>();
  let nFound = 0;
  let nRef = 0;
  let matched = 0;
  const unpairedFrames: number[] = [];
  for (const f of found) {
    seen.add(f.frame);
    const r = ref.get(f.frame);
    if (!r) unpairedFrames.push(f.frame);
    nFound += f.objects.length;
    nRef += r?.length ?? 0;
    matched += r ? matchFrame(f.objects, r, minIou) : 0;
  }
  for (const r of reference) {
    if (seen.has(r.frame)) continue;
    unpairedFrames.push(r.frame);
    nRef += r.objects.length;
  }
  const precision = nFound === 0 ? 1 : matched / nFound;
  const recall = nRef === 0 ? 1 : matched / nRef;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { found: nFound, reference: nRef, matched, precision, recall, f1, unpairedFrames };
}
