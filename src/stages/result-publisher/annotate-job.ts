import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore } from '../../ports/object-store.js';
import type { RunnerRecord } from '../../core/job.js';
import { annotatedKey } from '../../core/ids.js';
import { localCopy } from '../../stage-support/local-copy.js';
import { AnnotationRenderError, type AnnotatedFrame, type VideoAnnotator } from '../../ports/video-annotator.js';

export interface AnnotationOptions {
  annotator: VideoAnnotator;
  /** Aborting stops the download or the rendering; temp files are removed and nothing is stored. */
  signal?: AbortSignal;
}

/**
 * Renders a job's annotated video and stores it at `detection/{id}.mp4` (`video/mp4`), beside its
 * detections; returns where it went.
 *
 * Downloads the input to a temp file when the store is remote (streamed), renders to a temp
 * file, then puts it — a put replaces atomically, so readers see the previous rendering or the
 * new one, never half of one. Idempotent: rendering again overwrites the object with an
 * equivalent video, so a publisher may retry after any failure. Temp files are removed in every
 * case, success, failure or abort. `frames` is the job's prediction, ascending by frame (tracked
 * objects draw their track ids).
 *
 * Rejects with `AnnotationRenderError` when the job has no video metadata or input (jobs of
 * version 0.1), the input is gone, or ffmpeg fails; with the store's error when a put fails.
 */
export async function renderAnnotationFor(
  job: Pick<RunnerRecord, '_id' | 'input' | 'video'>,
  objects: ObjectStore,
  frames: AsyncIterable<AnnotatedFrame>,
  opts: AnnotationOptions,
): Promise<{ bucket: string; object: string; size: number }> {
  if (!job.video || !job.input)
    throw new AnnotationRenderError(`job ${job._id} has no ${job.video ? 'input' : 'video metadata'} recorded: it cannot be annotated`);
  const key = job.input.object;
  if (!(await objects.exists(key))) throw new AnnotationRenderError(`the video ${key} is not in the object store`);
  const input = await localCopy(objects, key, opts.signal);
  const work = await mkdtemp(join(tmpdir(), 'framewise-annotated-')).catch(async (err: unknown) => {
    await input.release();
    throw err;
  });
  try {
    const outputPath = join(work, 'annotated.mp4');
    await opts.annotator.render({ videoPath: input.path, video: job.video, frames, outputPath, ...(opts.signal ? { signal: opts.signal } : {}) });
    opts.signal?.throwIfAborted();
    const object = annotatedKey(job._id);
    const { size } = await objects.put(object, createReadStream(outputPath), 'video/mp4');
    return { bucket: objects.bucket, object, size };
  } finally {
    await Promise.all([rm(work, { recursive: true, force: true }), input.release()]);
  }
}
