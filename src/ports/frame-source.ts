import type { FrameImage } from '../core/types.js';
import type { SegmentPlan, VideoIndex } from '../core/segments.js';

/** What a probe learns about a video before decoding it. */
export interface VideoInfo {
  /** Display size: rotation metadata already applied. */
  width: number;
  height: number;
  /** Average frame rate (frames per second), if the container states one. */
  fps: number | undefined;
  durationSeconds: number | undefined;
  /** Frame count when the container states it (an estimate otherwise, or undefined). */
  frameCount: number | undefined;
  codec: string;
  rotation: number;
}

export interface SampledFrame {
  /** 0-based index among all decoded frames. */
  frame: number;
  /** Presentation time in ms from the video's start, from the stream's own timestamps; undefined when it has none. */
  timestampMs?: number;
  image: FrameImage;
}

/**
 * FrameSource: decodes a video file, streamed frame by frame.
 *
 * Contract:
 * - `probe` rejects with `VideoDecodeError` (a reason a person can read) when the file holds no
 *   decodable video stream.
 * - `frames` yields every `every`-th frame (0, N, 2N, …) in display order, displayed size, one at a
 *   time: memory stays bounded whatever the video's length. Breaking out of the loop stops decoding.
 *   A decoding failure throws `VideoDecodeError` after the frames decoded before it.
 * - `index` reads the container's packet list only (no decoding): fast, and memory of 8 bytes per frame.
 * - With `reuse`, a frame's pixel buffer may be written over by a later frame once the consumer
 *   asks for the next one (a consumer that keeps pixels copies them): a long video then costs no
 *   allocation per frame. Without it, every frame's pixels are its own.
 */
export interface FrameSource {
  probe(path: string): Promise<VideoInfo>;
  frames(path: string, every: number, options?: FrameReadOptions): AsyncIterable<SampledFrame>;
  /**
   * The video's frames as its container lists them (timestamps in presentation order, keyframes),
   * read without decoding, for splitting it into segments; undefined when it cannot be split
   * exactly (frames without timestamps, two frames with one timestamp, no keyframe).
   */
  index(path: string): Promise<VideoIndex | undefined>;
}

export interface FrameReadOptions {
  /** Let later frames reuse a frame's pixel buffer once the next frame is asked for. */
  reuse?: boolean;
  /**
   * Only this segment of the video (see `core/segments.ts`): its sampled frames, numbered and timed
   * as in an unsplit read, each checked against the segment's `sampledPts` (a mismatch rejects
   * with `VideoDecodeError`); reading stops after its last sampled frame.
   */
  segment?: Pick<SegmentPlan, 'segment' | 'firstFrame' | 'fromPts' | 'toPts' | 'seekSeconds' | 'sampledPts'> & Pick<VideoIndex, 'ptsOffset'>;
}

export class VideoDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VideoDecodeError';
  }
}
