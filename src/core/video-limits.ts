import { FramewiseError } from './errors.js';

/**
 * The most a job may ask the pipeline to decode. Checked twice: by the API on the stored upload
 * (422, no job), and by the runner after its own probe and while decoding (the job ends `failed`),
 * which covers jobs created before a limit was lowered and containers whose header understates.
 */
export interface VideoLimits {
  maxDurationSeconds: number;
  /** Largest frame as displayed; either orientation passes (3840×2160 admits 2160×3840). */
  maxWidth: number;
  maxHeight: number;
  /** Decoded frames (every frame of the stream, not only the sampled ones). */
  maxFrames: number;
}

/** What a probe states about a video (a subset of the frame source's `VideoInfo`). */
export interface VideoExtent {
  width: number;
  height: number;
  durationSeconds: number | undefined;
  frameCount: number | undefined;
}

/**
 * The first limit `video` breaks, as the catalogue error a client sees (its message names the
 * limit), or undefined when within every limit. Unknown duration or frame count pass: the
 * runner's checks while decoding catch those.
 */
export function videoLimitBreach(video: VideoExtent, limits: VideoLimits): FramewiseError | undefined {
  const [longSide, shortSide] = video.width >= video.height ? [video.width, video.height] : [video.height, video.width];
  const [maxLong, maxShort] = limits.maxWidth >= limits.maxHeight ? [limits.maxWidth, limits.maxHeight] : [limits.maxHeight, limits.maxWidth];
  if (longSide > maxLong || shortSide > maxShort) {
    return new FramewiseError('ERR_VIDEO_RESOLUTION_TOO_HIGH', `${video.width}×${video.height}`, `${limits.maxWidth}×${limits.maxHeight}`);
  }
  if (video.durationSeconds !== undefined && video.durationSeconds > limits.maxDurationSeconds) return tooLong(video.durationSeconds, limits);
  if (video.frameCount !== undefined && video.frameCount > limits.maxFrames) return tooManyFrames(video.frameCount, limits);
  return undefined;
}

/**
 * While decoding: the limit a decoded frame proves broken — its 0-based index reaches
 * `maxFrames`, or its presentation time passes `maxDurationSeconds` — else undefined. Only sampled
 * frames are seen, so a breach is found within one sampling step of it.
 */
export function decodedFrameBreach(frame: number, timestampMs: number | undefined, limits: VideoLimits): FramewiseError | undefined {
  if (frame >= limits.maxFrames) return tooManyFrames(`more than ${frame}`, limits);
  if (timestampMs !== undefined && timestampMs > limits.maxDurationSeconds * 1000) return tooLong(`more than ${round(timestampMs / 1000)}`, limits);
  return undefined;
}

const round = (n: number) => String(Math.round(n * 100) / 100);
const tooLong = (seconds: number | string, limits: VideoLimits) =>
  new FramewiseError('ERR_VIDEO_TOO_LONG', typeof seconds === 'number' ? round(seconds) : seconds, round(limits.maxDurationSeconds));
const tooManyFrames = (frames: number | string, limits: VideoLimits) => new FramewiseError('ERR_VIDEO_TOO_MANY_FRAMES', frames, limits.maxFrames);
