/**
 * How a model takes a frame, and the frame's geometry on the way there.
 *
 * A model's input is `width`×`height`; a frame is fitted into it by `letterbox` (Ultralytics'
 * `LetterBox`: scaled by r = min(H/h, W/w), aspect kept, centred, padded with grey 114 — the YOLO
 * models) or by `stretch` (scaled to the input size on each axis — the bundled CenterNet). The
 * runner sends each frame at the size the model will scale it to anyway (`travelSize`), so fewer
 * bytes are copied and sent; the detector maps boxes back to the frame as displayed.
 */
import type { Box } from './types.js';

export interface ModelInput {
  width: number;
  height: number;
  fit: 'letterbox' | 'stretch';
}

/** Where a frame of `width`×`height` lands inside the model input. */
export interface Letterbox {
  /** Frame size. */
  width: number;
  height: number;
  /** Size of the scaled frame inside the input (before padding). */
  unpadWidth: number;
  unpadHeight: number;
  /** Padding before the scaled frame; the rest of the input's width/height is padding after it. */
  left: number;
  top: number;
}

/** The value Ultralytics pads with, on every channel. */
export const PAD_VALUE = 114;

/** Python 3's `round`: half to even, so the unpadded size matches Ultralytics on ties. */
function pyRound(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The letterbox of a `width`×`height` frame in a `inputWidth`×`inputHeight` model input. */
export function letterbox(width: number, height: number, inputWidth: number, inputHeight: number): Letterbox {
  const r = Math.min(inputHeight / height, inputWidth / width);
  const unpadWidth = pyRound(width * r);
  const unpadHeight = pyRound(height * r);
  // The −0.1 puts an odd padding's extra pixel after the frame (right/bottom), as Ultralytics does;
  // max(0, ·) turns round(−0.1) = −0 into 0.
  const left = Math.max(0, pyRound((inputWidth - unpadWidth) / 2 - 0.1));
  const top = Math.max(0, pyRound((inputHeight - unpadHeight) / 2 - 0.1));
  return { width, height, unpadWidth, unpadHeight, left, top };
}

/**
 * Maps a box from model-input pixels back to frame pixels, exactly inverting the resize actually
 * done (each axis by its own factor: the rounding of the unpadded size makes them differ slightly),
 * clamped to the frame. Returns null if nothing of the box is left inside the frame.
 */
export function unletterbox(lb: Letterbox, x1: number, y1: number, x2: number, y2: number): Box | null {
  const sx = lb.width / lb.unpadWidth;
  const sy = lb.height / lb.unpadHeight;
  const clamp = (v: number, max: number): number => Math.min(Math.max(v, 0), max);
  const box: Box = [
    clamp((x1 - lb.left) * sx, lb.width),
    clamp((y1 - lb.top) * sy, lb.height),
    clamp((x2 - lb.left) * sx, lb.width),
    clamp((y2 - lb.top) * sy, lb.height),
  ];
  return box[2] > box[0] && box[3] > box[1] ? box : null;
}

/**
 * The size a `width`×`height` frame travels at to a model of `input`: the size the model scales it
 * to (the letterbox's unpadded size, or the input size when stretched) when that is smaller on both
 * axes, else its own (a frame is never enlarged on the way: the detector scales it up itself).
 * A frame sent at this size letterboxes to the same placement with no resize (its r is 1), so the
 * detector's boxes, scaled back by `width / travel width` per axis, equal those of the full frame's
 * letterbox exactly.
 */
export function travelSize(width: number, height: number, input: ModelInput): { width: number; height: number } {
  const to = input.fit === 'stretch' ? { width: input.width, height: input.height } : letterbox(width, height, input.width, input.height);
  const w = input.fit === 'stretch' ? to.width : (to as Letterbox).unpadWidth;
  const h = input.fit === 'stretch' ? to.height : (to as Letterbox).unpadHeight;
  return w < width && h < height ? { width: w, height: h } : { width, height };
}
