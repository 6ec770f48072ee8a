import type { Box, FrameResult, ModelRef } from './types.js';
import type { JobParameters, VideoMetadata } from './job.js';

/** The head of `detection/{id}.json`; `prediction` follows as the frames ascending. */
export interface DetectionDocumentHead {
  event_id: string;
  total_frames: number;
  parameters: JobParameters;
  /** The detector (name and weights hash) of the job's frames; taken from its first frame result. */
  model?: ModelRef;
  /** The video's metadata; with it every object also gets `box_norm`. */
  video?: VideoMetadata;
}

/** A box as fractions (0–1) of the displayed frame, to 6 decimals. */
export function normalizedBox(box: Box, width: number, height: number): Box {
  const r = (v: number, side: number) => Math.round((v / side) * 1e6) / 1e6;
  return [r(box[0], width), r(box[1], height), r(box[2], width), r(box[3], height)];
}

/**
 * Writes `detection/{id}.json` as a stream of JSON text: `{"event_id",…,"prediction":[{frame,
 * objects},…]}`. Frames must arrive ascending; a repeated frame number is an invariant breach
 * (results are stored once per frame) and throws rather than publish a wrong document.
 */
export async function* detectionDocument(head: DetectionDocumentHead, frames: AsyncIterable<FrameResult>): AsyncGenerator<string> {
  const it = frames[Symbol.asyncIterator]();
  let next = await it.next();
  const model = head.model ?? (next.done ? undefined : next.value.model);
  yield JSON.stringify({ ...head, ...(model ? { model } : {}) }).slice(0, -1) + ',"prediction":[';
  let last = -1;
  let n = 0;
  for (; !next.done; next = await it.next()) {
    const f = next.value;
    if (f.frame <= last) throw new Error(`frame results out of order: ${f.frame} after ${last}`);
    last = f.frame;
    const video = head.video;
    const objects = video ? f.objects.map((o) => ({ ...o, box_norm: normalizedBox(o.box, video.width, video.height) })) : f.objects;
    yield (n++ === 0 ? '' : ',') + JSON.stringify({ frame: f.frame, objects });
  }
  if (n !== head.total_frames) throw new Error(`expected ${head.total_frames} frame results, found ${n}`);
  yield ']}';
}
