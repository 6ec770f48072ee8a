/**
 * Raw YOLO output → candidate boxes in model-input pixels, per Ultralytics ONNX export layout:
 * - `v8` (v8/v11): `[B, 4+nc, N]` — cx, cy, w, h, then nc class scores; attribute-major.
 * - `v5`: `[B, N, 5+nc]` — cx, cy, w, h, objectness, nc class scores; conf = obj × class score.
 * - `end2end` (v10, YOLO26; NMS already done in the graph): `[B, K, 6]` — x1, y1, x2, y2, score,
 *   class index.
 * One candidate per anchor, of its best class (Ultralytics' default, not multi-label).
 */
import type { Candidate } from './nms.js';

export type YoloLayout = 'v5' | 'v8' | 'end2end';

/**
 * The candidates of batch item `b` of `data` (dims `[B, d1, d2]`) whose confidence is at least
 * `confidence`. NaN scores never pass; boxes are not checked here (see `unletterbox`).
 */
export function decodeYolo(data: ArrayLike<number>, dims: readonly number[], layout: YoloLayout, b: number, confidence: number, compact = false): Candidate[] {
  const [, d1 = 0, d2 = 0] = dims;
  const base = b * d1 * d2;
  const out: Candidate[] = [];
  const push = (cx: number, cy: number, w: number, h: number, score: number, cls: number): void => {
    out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, cls });
  };
  if (compact) {
    // `compact-output.ts`: per anchor cx, cy, w, h, best score, its class — v8 attribute-major
    // [B, 6, A]; v5 row-major [B, N, 7], objectness before the best score.
    if (layout === 'v8') {
      for (let i = 0; i < d2; i++) {
        const s = data[base + 4 * d2 + i]!;
        if (s >= confidence) push(data[base + i]!, data[base + d2 + i]!, data[base + 2 * d2 + i]!, data[base + 3 * d2 + i]!, s, data[base + 5 * d2 + i]!);
      }
    } else {
      for (let i = 0; i < d1; i++) {
        const p = base + i * d2;
        const score = data[p + 4]! * data[p + 5]!;
        if (score >= confidence) push(data[p]!, data[p + 1]!, data[p + 2]!, data[p + 3]!, score, data[p + 6]!);
      }
    }
    return out;
  }
  if (layout === 'v8') {
    // Attribute-major: scan each class's row of all anchors in turn (sequential memory; reading
    // anchor by anchor would stride d2 elements per class).
    const best = new Float64Array(d2).fill(-Infinity);
    const cls = new Int32Array(d2);
    for (let c = 4; c < d1; c++) {
      const row = base + c * d2;
      for (let i = 0; i < d2; i++) {
        const s = data[row + i]!;
        if (s > best[i]!) {
          best[i] = s;
          cls[i] = c - 4;
        }
      }
    }
    for (let i = 0; i < d2; i++) {
      const p = base + i;
      if (best[i]! >= confidence) push(data[p]!, data[p + d2]!, data[p + 2 * d2]!, data[p + 3 * d2]!, best[i]!, cls[i]!);
    }
    return out;
  }
  for (let i = 0; i < d1; i++) {
    const p = base + i * d2;
    if (layout === 'end2end') {
      const score = data[p + 4]!;
      const cls = Math.round(data[p + 5]!);
      if (score >= confidence && cls >= 0) out.push({ box: [data[p]!, data[p + 1]!, data[p + 2]!, data[p + 3]!], score, cls });
      continue;
    }
    let best = -Infinity;
    let cls = 0;
    for (let c = 5; c < d2; c++) {
      if (data[p + c]! > best) {
        best = data[p + c]!;
        cls = c - 5;
      }
    }
    const score = data[p + 4]! * best;
    if (score >= confidence) push(data[p]!, data[p + 1]!, data[p + 2]!, data[p + 3]!, score, cls);
  }
  return out;
}
