/**
 * Ultralytics' letterbox (`ultralytics.data.augment.LetterBox`, centred, scale-up allowed): scale
 * the frame by r = min(H/h, W/w) keeping its aspect, then pad it to the model's W×H with grey 114,
 * splitting the padding between both sides. And the exact inverse for boxes.
 */
import sharp from 'sharp';
import type { Box, FrameImage } from '../../../core/types.js';

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
 * The letterboxed frame as tightly packed RGB bytes of the model input's size (sharp: bilinear
 * resize, then the grey border). Runs on libuv's thread pool.
 */
export async function letterboxPixels(frame: FrameImage, lb: Letterbox, inputWidth: number, inputHeight: number): Promise<Buffer> {
  let img = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } });
  if (lb.unpadWidth !== frame.width || lb.unpadHeight !== frame.height) {
    img = img.resize(lb.unpadWidth, lb.unpadHeight, { fit: 'fill', kernel: 'linear' });
  }
  const right = inputWidth - lb.unpadWidth - lb.left;
  const bottom = inputHeight - lb.unpadHeight - lb.top;
  if (lb.left || lb.top || right || bottom) {
    img = img.extend({ left: lb.left, top: lb.top, right, bottom, background: { r: PAD_VALUE, g: PAD_VALUE, b: PAD_VALUE } });
  }
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== inputWidth || info.height !== inputHeight || info.channels !== 3) {
    throw new Error(`letterbox produced ${info.width}x${info.height}x${info.channels}, expected ${inputWidth}x${inputHeight}x3`);
  }
  return data;
}
