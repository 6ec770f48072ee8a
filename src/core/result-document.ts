import type { FrameResult } from './types.js';
import type { JobParameters } from './job.js';

/** The head of `detection/{id}.json`; `prediction` follows as the frames ascending. */
export interface DetectionDocumentHead {
  event_id: string;
  total_frames: number;
  parameters: JobParameters;
}

/**
 * Writes `detection/{id}.json` as a stream of JSON text: `{"event_id",…,"prediction":[{frame,
 * objects},…]}`. Frames must arrive ascending; a repeated frame number is an invariant breach
 * (results are stored once per frame) and throws rather than publish a wrong document.
 */
export async function* detectionDocument(head: DetectionDocumentHead, frames: AsyncIterable<FrameResult>): AsyncGenerator<string> {
  yield JSON.stringify(head).slice(0, -1) + ',"prediction":[';
  let last = -1;
  let n = 0;
  for await (const f of frames) {
    if (f.frame <= last) throw new Error(`frame results out of order: ${f.frame} after ${last}`);
    last = f.frame;
    yield (n++ === 0 ? '' : ',') + JSON.stringify({ frame: f.frame, objects: f.objects });
  }
  if (n !== head.total_frames) throw new Error(`expected ${head.total_frames} frame results, found ${n}`);
  yield ']}';
}
