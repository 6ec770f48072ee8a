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
 * - `localPath` returns a file path a local program (ffmpeg) may read directly, or `undefined` when
 *   the store is remote (then callers use `get`).
 * - `delete` is idempotent; `deletePrefix` removes every key that starts with the prefix.
 * - `close` releases connections; no call may follow it.
 */
export interface ObjectStore {
  /** The bucket name recorded in events (`payload.bucket`, `output_s3.bucket`). */
  readonly bucket: string;
  put(key: string, body: Readable, contentType?: string): Promise<{ size: number }>;
  get(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  localPath(key: string): string | undefined;
  delete(key: string): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
  close(): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}
