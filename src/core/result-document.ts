import type { Box, FrameResult, ModelRef, TrackedObject } from './types.js';
import type { JobParameters, VideoMetadata } from './job.js';
import type { ResultWarning } from './damage.js';
import { ByteTracker } from './tracking/byte-tracker.js';
import { ResultSummary, type ResultSummaryData } from './tracking/summary.js';

/** The head of `detection/{id}.json`; `prediction` follows as the frames ascending. */
export interface DetectionDocumentHead {
  event_id: string;
  total_frames: number;
  parameters: JobParameters;
  /** The detector (name and weights hash) of the job's frames; taken from its first frame result. */
  model?: ModelRef;
  /** The video's metadata; with it every object also gets `box_norm`. */
  video?: VideoMetadata;
  /** What the result lacks (damaged time ranges of the video, whose frames have no result); absent when nothing. */
  warnings?: ResultWarning[];
}

/** A frame as published: its time, and objects with their track (and `box_norm` when the video's size is known). */
export interface PublishedFrame {
  frame: number;
  /** Absent only when neither the stream's timestamps nor a frame rate are known. */
  timestamp_ms?: number;
  objects: Array<TrackedObject & { box_norm?: Box }>;
}

/**
 * What marks the end of the head line: the document is written one frame per line after it, so
 * readers can page through it line by line without parsing the whole (see `readDetectionPages`).
 */
export const PREDICTION_OPENER = ',"prediction":[';

/** A box as fractions (0–1) of the displayed frame, to 6 decimals. */
export function normalizedBox(box: Box, width: number, height: number): Box {
  const r = (v: number, side: number) => Math.round((v / side) * 1e6) / 1e6;
  return [r(box[0], width), r(box[1], height), r(box[2], width), r(box[3], height)];
}

/**
 * A frame's time: the stream's own timestamp; for results stored before timestamps existed, its
 * index over the stated frame rate. Undefined when neither is known.
 */
export function frameTime(f: Pick<FrameResult, 'frame' | 'timestamp_ms'>, video: VideoMetadata | undefined): number | undefined {
  if (f.timestamp_ms !== undefined) return f.timestamp_ms;
  return video?.fps ? Math.round((f.frame / video.fps) * 1e6) / 1e3 : undefined;
}

/**
 * The job's frames as published: time, tracks and normalized boxes. Tracking is deterministic, so
 * the two passes the publisher makes over the stored results (summaries first, frames second)
 * give every object the same track id. Frames without any time are tracked as if 25 frames/s.
 */
export async function* publishedFrames(
  frames: AsyncIterable<FrameResult>,
  video: VideoMetadata | undefined,
): AsyncGenerator<PublishedFrame & { model?: ModelRef }> {
  const tracker = new ByteTracker();
  for await (const f of frames) {
    const time = frameTime(f, video);
    const ids = tracker.update(f.objects, time ?? f.frame * 40);
    const objects = f.objects.map((o, i) => ({
      ...o,
      ...(video ? { box_norm: normalizedBox(o.box, video.width, video.height) } : {}),
      track_id: ids[i] ?? null,
    }));
    yield { frame: f.frame, ...(time !== undefined ? { timestamp_ms: time } : {}), objects, ...(f.model ? { model: f.model } : {}) };
  }
}

/** The first pass: the model of the first frame and the job's track, class and segment summaries. */
export async function summarize(
  frames: AsyncIterable<FrameResult>,
  video: VideoMetadata | undefined,
): Promise<{ model?: ModelRef; summary: ResultSummaryData }> {
  const summary = new ResultSummary();
  let model: ModelRef | undefined;
  for await (const f of publishedFrames(frames, video)) {
    model ??= f.model;
    summary.add({ frame: f.frame, timestamp_ms: f.timestamp_ms ?? f.frame * 40, objects: f.objects });
  }
  return { ...(model ? { model } : {}), summary: summary.finish(video?.duration_ms ?? null) };
}

/**
 * Writes `detection/{id}.json` as a stream of JSON text: the head (ids, parameters, model, video,
 * then the `tracks`, `classes` and `segments` summaries) on the first line, ending with
 * `"prediction":[`; then one frame per line `{frame, timestamp_ms, objects}`; then `]}`.
 * `frames` is called twice (summaries need every frame, and they come first so that a reader of
 * the head has them); both passes must yield the same results. Frames must arrive ascending; a
 * repeated frame number is an invariant breach (results are stored once per frame) and throws
 * rather than publish a wrong document.
 */
export async function* detectionDocument(head: DetectionDocumentHead, frames: () => AsyncIterable<FrameResult>): AsyncGenerator<string> {
  const { model: first, summary } = await summarize(frames(), head.video);
  const model = head.model ?? first;
  const opening = { ...head, ...(model ? { model } : {}), tracks: summary.tracks, classes: summary.classes, segments: summary.segments };
  yield JSON.stringify(opening).slice(0, -1) + PREDICTION_OPENER + '\n';
  let last = -1;
  let n = 0;
  for await (const f of publishedFrames(frames(), head.video)) {
    if (f.frame <= last) throw new Error(`frame results out of order: ${f.frame} after ${last}`);
    last = f.frame;
    const { model: _model, ...frame } = f;
    yield (n++ === 0 ? '' : ',\n') + JSON.stringify(frame);
  }
  if (n !== head.total_frames) throw new Error(`expected ${head.total_frames} frame results, found ${n}`);
  yield '\n]}';
}
