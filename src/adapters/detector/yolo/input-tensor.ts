/**
 * Model input batches: letterboxed RGB bytes → normalised (0–1) planar CHW, float32 or float16
 * (as half bits). Pixels are bytes, so each element type's 256 possible values come from a table.
 */
import { toHalf } from './float16.js';

export type InputType = 'float32' | 'float16';
export type InputData = Float32Array | Uint16Array;

const TABLES: Record<InputType, InputData> = {
  float32: Float32Array.from({ length: 256 }, (_, k) => k / 255),
  float16: Uint16Array.from({ length: 256 }, (_, k) => toHalf(k / 255)),
};

/** Writes packed RGB `pixels` (height×width×3) into batch slot `slot` of `data`, as CHW. */
export function fillSlot(data: InputData, type: InputType, slot: number, pixels: Uint8Array, height: number, width: number): void {
  const table = TABLES[type];
  const plane = height * width;
  const r = slot * 3 * plane;
  const g = r + plane;
  const b = g + plane;
  for (let p = 0, s = 0; p < plane; p++, s += 3) {
    data[r + p] = table[pixels[s]!]!;
    data[g + p] = table[pixels[s + 1]!]!;
    data[b + p] = table[pixels[s + 2]!]!;
  }
}

/**
 * Returns a function that writes frames into a `[slots, 3, height, width]` batch (slots ≤
 * `maxSlots`), zeroing the slots no frame fills (a fixed-size batch's padding). The batch is one
 * buffer, allocated on first use and reused: a fresh one per run costs more in page faults than
 * filling it. So each result is valid only until the next call — fine for runs that never overlap.
 */
export function batchWriter(type: InputType, maxSlots: number, height: number, width: number): (pixels: readonly Uint8Array[], slots: number) => InputData {
  const size = 3 * height * width;
  let buffer: InputData | undefined;
  return (pixels, slots) => {
    if (pixels.length > slots || slots > maxSlots) throw new Error(`${pixels.length} frames in ${slots} of ${maxSlots} batch slots`);
    buffer ??= type === 'float16' ? new Uint16Array(maxSlots * size) : new Float32Array(maxSlots * size);
    const data = buffer.subarray(0, slots * size);
    pixels.forEach((px, i) => fillSlot(data, type, i, px, height, width));
    data.fill(0, pixels.length * size);
    return data;
  };
}
