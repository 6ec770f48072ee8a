import type { FramePrediction } from './api';

/** A sampled frame with the time it is shown from, in ms of the video. */
export interface TimedFrame {
  ms: number;
  frame: FramePrediction;
}

/**
 * The sampled frames in time order. A frame without `timestamp_ms` (results of older servers) is
 * placed at `frame / fps`; without a frame rate either, at 25 fps.
 */
export function timedFrames(prediction: readonly FramePrediction[], fps: number | null | undefined): TimedFrame[] {
  const rate = fps && fps > 0 ? fps : 25;
  return prediction.map((frame) => ({ ms: frame.timestamp_ms ?? (frame.frame / rate) * 1000, frame })).sort((a, b) => a.ms - b.ms);
}

/**
 * The frame whose boxes belong on screen at `ms`: the latest sampled frame shown at or before it
 * (binary search), or undefined before the first. A small tolerance absorbs the rounding between
 * a frame's timestamp and the player's clock, which would otherwise show the previous frame's boxes.
 */
export function frameAt(frames: readonly TimedFrame[], ms: number, toleranceMs = 1): TimedFrame | undefined {
  let lo = 0;
  let hi = frames.length - 1;
  let found: TimedFrame | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = frames[mid]!;
    if (f.ms <= ms + toleranceMs) {
      found = f;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
