/** Class-wise greedy non-maximum suppression. */

/** A scored, classed box `[x1, y1, x2, y2]` (x2 > x1, y2 > y1 in any one coordinate system). */
export interface Candidate {
  box: [number, number, number, number];
  score: number;
  cls: number;
}

function iou(a: Candidate['box'], b: Candidate['box']): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/**
 * Keeps, highest score first, each candidate whose IoU with every kept candidate *of its class* is
 * at most `iouThreshold` (as torchvision's `nms`, which Ultralytics uses); stops at `max` kept.
 * Boxes of different classes never suppress each other. Returns a new array, score descending.
 */
export function classwiseNms(candidates: readonly Candidate[], iouThreshold: number, max: number): Candidate[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const keptByClass = new Map<number, Candidate[]>();
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (kept.length >= max) break;
    const same = keptByClass.get(c.cls) ?? [];
    if (same.some((k) => iou(k.box, c.box) > iouThreshold)) continue;
    same.push(c);
    keptByClass.set(c.cls, same);
    kept.push(c);
  }
  return kept;
}
