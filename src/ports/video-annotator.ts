import type { VideoMetadata } from '../core/job.js';
import type { DetectedObject } from '../core/types.js';

/** A detection to draw: a tracked one (`track_id`, null when no track took it) or a plain one. */
export type AnnotatedObject = DetectedObject & { track_id?: number | null };

/** One sampled frame's detections. `frame` is its 0-based index among all decoded frames. */
export interface AnnotatedFrame {
  frame: number;
  /** Presentation time (informative: drawing is keyed by `frame`). */
  timestamp_ms?: number;
  objects: readonly AnnotatedObject[];
}

export interface AnnotationInput {
  /** The job's video, as uploaded (a local file). */
  videoPath: string;
  /** Its metadata as the runner probed it: display size (boxes are in these pixels) and frame rate. */
  video: Pick<VideoMetadata, 'width' | 'height' | 'fps' | 'duration_ms' | 'frame_count'>;
  /** The sampled frames' detections, ascending by frame number. */
  frames: AsyncIterable<AnnotatedFrame>;
  /** Where the MP4 goes; removed again if rendering fails. */
  outputPath: string;
  /** Aborting stops the rendering and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** VideoAnnotator: draws a job's detections over its video. */
export interface VideoAnnotator {
  /**
   * Writes an MP4 (H.264, browser-playable, no audio) of the whole video at `outputPath`, every
   * decoded frame showing the boxes (class colour, label "class #track conf") of the latest sampled
   * frame at or before it. Memory stays bounded whatever the video's length. Rejects with
   * `AnnotationRenderError` (a reason a person can read) when the video cannot be read or the MP4
   * cannot be written, leaving no partial file; rendering again is harmless (it replaces the file).
   */
  render(input: AnnotationInput): Promise<void>;
}

/** Rendering failed: the video could not be read or the MP4 written. */
export class AnnotationRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnnotationRenderError';
  }
}
