import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../ports/object-store.js';

/**
 * A path ffmpeg can read: the object itself when the store is local, else a streamed temp copy
 * (never buffered). `release` removes the copy; call it in every case. Rejects with the store's
 * error (`ObjectNotFoundError` when absent), leaving nothing behind.
 */
export async function localCopy(objects: ObjectStore, key: string, signal?: AbortSignal): Promise<{ path: string; release: () => Promise<void> }> {
  const direct = objects.localPath(key);
  if (direct) return { path: direct, release: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'framewise-'));
  const path = join(dir, 'video');
  try {
    await pipeline(await objects.get(key), createWriteStream(path), ...(signal ? [{ signal }] : []));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { path, release: () => rm(dir, { recursive: true, force: true }) };
}
