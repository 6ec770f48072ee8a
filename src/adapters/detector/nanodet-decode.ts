/**
 * NanoDet's head output → the frame's objects, as the reference implementation decodes it
 * (RangiLyu/nanodet, `GFLHead.get_bboxes` / `distance2bbox`, test config `score_thr` then
 * `multiclass_nms`):
 * - per level (stride 8, 16, 32 of the square input), `scores [n, 80]` are already probabilities
 *   (the graph ends in a Sigmoid) and every class of a cell above the threshold is a candidate
 *   (multi-label, as nanodet's `multiclass_nms`);
 * - `regs [n, 4·(reg_max+1)]` are, for left, top, right, bottom in turn, a distribution over
 *   distances 0…reg_max strides (Generalized Focal Loss): the distance is the softmax's expected
 *   bin, times the stride;
 * - a cell's centre is `((col + 0.5)·stride, (row + 0.5)·stride)` (the GFL head's centre points);
 * - boxes are in input pixels; the input is the frame stretched to it, so they map back by
 *   width/size and height/size, clamped to the frame.
 * Measured on vtest.avi against the real YOLOv8n (`npm run bench -- --quality`), the half-pixel
 * centres and nanodet's own normalisation (see the worker) are what make the boxes agree: without
 * either, F1 drops from 0.93 to 0.66–0.82.
 */
import { COCO_CLASSES } from './coco-classes.js';
import { classwiseNms, type Candidate } from './yolo/nms.js';

/** One level of the head: its stride and its two outputs, cell-major. */
export interface NanodetLevel {
  stride: number;
  scores: ArrayLike<number>;
  regs: ArrayLike<number>;
}

export interface NanodetObject {
  class: string;
  box: [number, number, number, number];
  conf: number;
}

/** nanodet's `max_per_img`: the most objects one frame reports. */
export const NANODET_MAX_OBJECTS = 100;

const round1 = (v: number): number => Math.round(v * 10) / 10;
const round4 = (v: number): number => Math.round(v * 10000) / 10000;

/** The expected distance (in bins) of one side's distribution `regs[at … at+bins)`: softmax, then Σ p·i. */
function expectedBin(regs: ArrayLike<number>, at: number, bins: number): number {
  let max = -Infinity;
  for (let j = 0; j < bins; j++) max = Math.max(max, regs[at + j]!);
  let z = 0;
  let e = 0;
  for (let j = 0; j < bins; j++) {
    const w = Math.exp(regs[at + j]! - max);
    z += w;
    e += w * j;
  }
  return e / z;
}

/**
 * The objects of one frame of `width`×`height` from the head's `levels` (input `size`×`size`):
 * candidates at `confidence` or more, class-wise NMS at `iou`, at most `NANODET_MAX_OBJECTS`,
 * highest confidence first. Throws if a level's outputs do not fit its grid.
 */
export function decodeNanodet(levels: readonly NanodetLevel[], size: number, width: number, height: number, confidence: number, iou: number): NanodetObject[] {
  const classes = COCO_CLASSES.length;
  const sx = width / size;
  const sy = height / size;
  const candidates: Candidate[] = [];
  for (const { stride, scores, regs } of levels) {
    const grid = Math.ceil(size / stride);
    const cells = grid * grid;
    if (scores.length !== cells * classes) throw new Error(`stride ${stride}: ${scores.length} scores, expected ${cells}×${classes}`);
    const perCell = regs.length / cells;
    if (!Number.isInteger(perCell) || perCell % 4 !== 0 || perCell < 4)
      throw new Error(`stride ${stride}: ${regs.length} box values do not divide into ${cells} cells × 4 sides`);
    const bins = perCell / 4;
    for (let i = 0; i < cells; i++) {
      let any = false;
      for (let c = 0; c < classes && !any; c++) any = scores[i * classes + c]! >= confidence;
      if (!any) continue;
      const cx = ((i % grid) + 0.5) * stride;
      const cy = (Math.floor(i / grid) + 0.5) * stride;
      const at = i * perCell;
      const left = expectedBin(regs, at, bins) * stride;
      const top = expectedBin(regs, at + bins, bins) * stride;
      const right = expectedBin(regs, at + 2 * bins, bins) * stride;
      const bottom = expectedBin(regs, at + 3 * bins, bins) * stride;
      const box: Candidate['box'] = [
        Math.min(Math.max((cx - left) * sx, 0), width),
        Math.min(Math.max((cy - top) * sy, 0), height),
        Math.min(Math.max((cx + right) * sx, 0), width),
        Math.min(Math.max((cy + bottom) * sy, 0), height),
      ];
      if (!(box[2] > box[0]) || !(box[3] > box[1])) continue;
      for (let c = 0; c < classes; c++) {
        const score = scores[i * classes + c]!;
        if (score >= confidence) candidates.push({ box, score, cls: c });
      }
    }
  }
  return classwiseNms(candidates, iou, NANODET_MAX_OBJECTS).map((k) => ({
    class: COCO_CLASSES[k.cls]!,
    box: [round1(k.box[0]), round1(k.box[1]), round1(k.box[2]), round1(k.box[3])],
    conf: round4(k.score),
  }));
}
