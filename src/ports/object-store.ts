import type { Readable } from 'node:stream';

/** ObjectStore: named immutable blobs (videos, prediction JSON) in one bucket. */
export interface ObjectStore {
  /** The bucket name recorded in events (`payload.bucket`, `output_s3.bucket`). */
  readonly bucket: string;
  /**
   * Streams `body` to `key`. Atomic: the object becomes visible to `get`/`exists` only once the
   * whole body is stored (never half-written); putting an existing key replaces it at once, so a
   * repeated put of the same content is harmless. If `body` errors, nothing is stored and `put`
   * rejects with that error. Resolves with the size stored.
   */
  put(key: string, body: Readable, contentType?: string): Promise<{ size: number }>;
  /**
   * A stream of the object's bytes; rejects with `ObjectNotFoundError` when absent. With `range`
   * (inclusive byte offsets, as HTTP's `Range: bytes=start-end`) only bytes `start`…`min(end,
   * size - 1)`; a range with `start > end` or `start < 0`, or one that starts at or past the
   * object's end, rejects with `RangeError` (callers check against `stat`). A read.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * The object's size (and its media type when the store records one, last modification and
   * entity tag when it knows them) without reading it; rejects with `ObjectNotFoundError` when
   * absent. A put between `stat` and `get` may make them disagree: readers that must not mix
   * versions compare `etag`. A read.
   */
  stat(key: string): Promise<ObjectStat>;
  /** Whether the whole object is stored (a put in progress is not). A read. */
  exists(key: string): Promise<boolean>;
  /** A file path a local program (ffmpeg) may read directly, or `undefined` when the store is remote (then callers use `get`). */
  localPath(key: string): string | undefined;
  /** Removes the object. Idempotent: an absent key is not an error. */
  delete(key: string): Promise<void>;
  /** Removes every object whose key starts with `prefix` (not atomic: a crash may leave some; a repeat finishes). Idempotent. */
  deletePrefix(prefix: string): Promise<void>;
  /** Releases connections; no call may follow it. */
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
