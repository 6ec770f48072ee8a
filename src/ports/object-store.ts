import type { Readable } from 'node:stream';

/**
 * ObjectStore: named immutable blobs (videos, prediction JSON) in one bucket.
 *
 * Contract:
 * - `put` streams `body` to `key`; the object becomes visible to `get`/`exists` only once the whole
 *   body is stored (never half-written). Putting an existing key replaces it atomically, so a
 *   repeated put of the same content is harmless. If `body` errors, nothing is stored and `put`
 *   rejects with that error.
 * - `get` returns a stream of the object's bytes; rejects with `ObjectNotFoundError` when absent.
 *   With `range` (inclusive byte offsets, as HTTP's `Range: bytes=start-end`) it streams only
 *   bytes `start`…`min(end, size - 1)`; a range with `start > end` or `start < 0`, or one that
 *   starts at or past the object's end, rejects with `RangeError` (callers check against `stat`).
 * - `stat` gives the object's size (and its media type when the store records one, last
 *   modification and entity tag when it knows them) without reading it; rejects with
 *   `ObjectNotFoundError` when absent. A put between `stat` and `get` may make them disagree:
 *   readers that must not mix versions compare `etag`.
 * - `localPath` returns a file path a local program (ffmpeg) may read directly, or `undefined` when
 *   the store is remote (then callers use `get`).
 * - `delete` is idempotent; `deletePrefix` removes every key that starts with the prefix.
 * - `close` releases connections; no call may follow it.
 */
export interface ObjectStore {
  /** The bucket name recorded in events (`payload.bucket`, `output_s3.bucket`). */
  readonly bucket: string;
  put(key: string, body: Readable, contentType?: string): Promise<{ size: number }>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<ObjectStat>;
  exists(key: string): Promise<boolean>;
  localPath(key: string): string | undefined;
  delete(key: string): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
  close(): Promise<void>;
}

/** Inclusive byte offsets into an object: `{start: 0, end: 0}` is its first byte. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectStat {
  size: number;
  /** The media type given at `put`, where the store keeps it (S3 does; a local directory does not). */
  contentType?: string;
  lastModified?: Date;
  /** Changes whenever the object is replaced (quoted, as HTTP's `ETag`). */
  etag?: string;
}

/** Throws `RangeError` unless `range` is well formed: whole numbers, `0 ≤ start ≤ end`. */
export function checkRange(range: ByteRange): void {
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.start > range.end) {
    throw new RangeError(`invalid byte range ${range.start}-${range.end}`);
  }
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}
