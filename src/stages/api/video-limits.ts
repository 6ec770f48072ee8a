import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import { ObjectNotFoundError, type ObjectStore } from '../../ports/object-store.js';
import type { VideoInfo } from '../../ports/frame-source.js';
import { videoLimitBreach, type VideoLimits } from '../../core/video-limits.js';
import { FramewiseError } from '../../core/errors.js';
import { localCopy } from '../../stage-support/local-copy.js';

/** What the API needs to hold videos to the limits: a probe (ffprobe, injected by the composition root) and the limits. */
export interface VideoLimitDeps {
  objects: ObjectStore;
  log: Logger;
  probe?: (path: string) => Promise<VideoInfo>;
  videoLimits?: VideoLimits;
}

/** An upload on its way to the store, and where it can be probed once stored. */
export interface StagedUpload {
  /** The stream to put: the upload itself, or the upload copied to a temp file as it passes. */
  body: Readable;
  /** A file holding the whole upload once the put has succeeded; undefined when limits are off. */
  path: string | undefined;
  /** Removes the temp copy, if any; idempotent. Call it in every case. */
  release(): Promise<void>;
}

/**
 * Prepares an upload bound for `key` to be probed after it is stored. A local store's object is
 * probed in place; for a remote one the upload is teed to a temp file chunk by chunk as the store
 * reads it (each chunk is written before it is passed on, so memory holds a chunk or two,
 * whatever the size). Without a probe or limits, the upload passes untouched.
 */
export async function stageUpload(deps: VideoLimitDeps, key: string, upload: Readable): Promise<StagedUpload> {
  const none = { body: upload, path: undefined, release: async () => {} };
  if (!deps.probe || !deps.videoLimits) return none;
  const direct = deps.objects.localPath(key);
  if (direct) return { ...none, path: direct };
  const dir = await mkdtemp(join(tmpdir(), 'framewise-upload-'));
  const path = join(dir, 'video');
  const file = createWriteStream(path);
  let released: Promise<void> | undefined;
  return {
    // pipeline, not pipe: an upload that breaks off errors the stream the store reads, so its put rejects.
    body: pipeline(upload, teeTo(file), () => {}),
    path,
    release: () =>
      (released ??= (async () => {
        file.destroy();
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}

/** A pass-through that writes every chunk to `file` before passing it on, and ends once `file` is flushed. */
function teeTo(file: WriteStream): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      file.write(chunk, (err) => done(err ?? null, chunk));
    },
    flush(done) {
      file.end((err?: Error | null) => done(err ?? null));
    },
    destroy(err, done) {
      file.destroy();
      done(err);
    },
  });
}

/**
 * After a put: the stored upload at `key` over a limit is deleted and the breach thrown (422 with
 * the limit in its message), so no job is created. Releases `staged` in every case.
 */
export async function enforceUploadLimits(deps: VideoLimitDeps, key: string, staged: StagedUpload): Promise<void> {
  try {
    const breach = staged.path ? await breachOf(deps, staged.path, key) : undefined;
    if (!breach) return;
    await deps.objects.delete(key);
    throw breach;
  } finally {
    await staged.release();
  }
}

/**
 * `/api/request`: throws the breach of an object already stored (probed in place, or through a
 * streamed temp copy from a remote store). The object is left alone: the request did not store it.
 */
export async function enforceStoredLimits(deps: VideoLimitDeps, key: string): Promise<void> {
  if (!deps.probe || !deps.videoLimits) return;
  const local = await localCopy(deps.objects, key).catch((err: unknown) => {
    // Deleted since the route saw it: the same answer as if it had never been there.
    throw err instanceof ObjectNotFoundError ? new FramewiseError('ERR_OBJECT_NOT_FOUND', JSON.stringify(key), deps.objects.bucket) : err;
  });
  try {
    const breach = await breachOf(deps, local.path, key);
    if (breach) throw breach;
  } finally {
    await local.release();
  }
}

/**
 * The limit the video at `path` breaks, if any. A video ffprobe cannot read is not refused here:
 * the runner fails its job with the decoder's reason, as for any damaged upload.
 */
async function breachOf(deps: VideoLimitDeps, path: string, key: string) {
  let info: VideoInfo;
  try {
    info = await deps.probe!(path);
  } catch (err) {
    deps.log.info({ object: key, reason: (err as Error).message }, 'video not readable at upload; accepted, the runner decides');
    return undefined;
  }
  const breach = videoLimitBreach(info, deps.videoLimits!);
  if (breach)
    deps.log.info(
      { object: key, code: breach.code, width: info.width, height: info.height, duration_s: info.durationSeconds, frames: info.frameCount },
      'video over a limit; refused',
    );
  return breach;
}
