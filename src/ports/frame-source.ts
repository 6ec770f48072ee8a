import type { FrameImage } from '../core/types.js';
import type { SegmentPlan, VideoIndex } from '../core/segments.js';
import type { DamagedRange, DamageReport } from '../core/damage.js';

/** What a probe learns about a video before decoding it. */
export interface VideoInfo {
  /** Display width, px: rotation metadata already applied (a 90° phone video is taller than wide). */
  width: number;
  /** Display height, px (rotation applied). */
  height: number;
  /** Average frame rate (frames per second), if the container states one. */
  fps: number | undefined;
  /** Duration of the video stream (else the container's), seconds; undefined when neither states one. */
  durationSeconds: number | undefined;
  /** Frame count when the container states it (an estimate otherwise, or undefined). */
  frameCount: number | undefined;
  /** The video stream's codec, as ffmpeg names it (`h264`, `hevc`, `vp9`, …; `unknown`). */
  codec: string;
  /** Degrees the container asks players to turn the picture (0, ±90, 180); frames come out turned. */
  rotation: number;
}

export interface SampledFrame {
  /** 0-based index among all decoded frames. */
  frame: number;
  /** Presentation time in ms from the video's start, from the stream's own timestamps; undefined when it has none. */
  timestampMs?: number;
  /** RGB pixels at the display size (rotation applied); see `FrameReadOptions.reuse` for how long they stay. */
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
 *   A decoding failure throws `VideoDecodeError` after the frames decoded before it. Damaged
 *   frames in a video that otherwise decodes: an adapter told to tolerate them (see `onDamage`)
 *   gives the frames that decode, each numbered and timed by its place on the container's
 *   timeline (so frames after a damaged range keep their true numbers and times, and sampling
 *   goes on every N-th decoded frame from there), and reports the damage once the read ends. A
 *   whole read that decodes no frame at all still rejects with `VideoDecodeError`; a segment's
 *   read gives none and reports its damage (the job's verdict counts every segment).
 * - `index` reads the container's packet list only (no decoding): fast, and memory of 8 bytes per frame.
 * - With `reuse`, a frame's pixel buffer may be written over by a later frame once the consumer
 *   asks for the next one (a consumer that keeps pixels copies them): a long video then costs no
 *   allocation per frame. Without it, every frame's pixels are its own.
 */
export interface FrameSource {
  /** The video's size, rate, duration, frame count, codec and rotation, without decoding it (see the contract above). */
  probe(path: string): Promise<VideoInfo>;
  /** Every `every`-th frame of the video (or of `options.segment`), streamed (see the contract above). */
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
   * with `VideoDecodeError`); reading stops after its last sampled frame. `lostTail`, on a
   * truncated video's last segment only: the frames its container states beyond the index (see
   * `core/damage.ts`'s `lostTail`), which that segment then reports as damage (`onDamage`), clean
   * or not, as an unsplit read would.
   */
  segment?: Pick<SegmentPlan, 'segment' | 'firstFrame' | 'fromPts' | 'toPts' | 'seekSeconds' | 'sampledPts'> &
    Pick<VideoIndex, 'ptsOffset'> & { lostTail?: DamagedRange };
  /**
   * Told once, after the last frame and before the loop ends, when the read found damaged frames
   * (an adapter that tolerates them; a strict one rejects instead): the time ranges of the frames
   * that did not decode and how many sampled frames are missing. A segment's checks against
   * `sampledPts` then give way to the timeline's numbering. Never told for a clean read, nor when
   * the consumer stops the loop early.
   */
  onDamage?: (damage: DamageReport) => void;
}

/** The file cannot be read as a video, or its decoding failed; the message is a reason a person can read. */
export class VideoDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VideoDecodeError';
  }
}
