import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, open, rename, rm, stat, readdir } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { checkRange, ObjectNotFoundError, type ByteRange, type ObjectStat, type ObjectStore } from '../../ports/object-store.js';

/**
 * Objects as files under `<root>/<bucket>/`. A put streams to a temporary file in the same
 * directory tree and renames it into place, so readers never see half an object.
 */
export class LocalDirObjectStore implements ObjectStore {
  private readonly base: string;
  private readonly tmp: string;

  constructor(
    root: string,
    readonly bucket: string,
  ) {
    this.base = resolve(root, bucket);
    this.tmp = resolve(root, '.incoming');
  }

  private path(key: string): string {
    const p = resolve(this.base, key);
    if (!key || key.includes('\0') || !p.startsWith(this.base + sep)) throw new Error(`invalid object key ${JSON.stringify(key)}`);
    return p;
  }

  async put(key: string, body: Readable): Promise<{ size: number }> {
    const target = this.path(key);
    await mkdir(this.tmp, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    const temp = join(this.tmp, randomUUID());
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, count, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return { size };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const p = this.path(key);
    if (!range) {
      if (!(await this.exists(key))) throw new ObjectNotFoundError(key);
      return createReadStream(p);
    }
    checkRange(range);
    // One open file for the size check and the read: a put renames a new file into place and
    // never changes this one, so the range is checked against the very bytes it reads.
    const file = await open(p, 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' || err.code === 'EISDIR' ? new ObjectNotFoundError(key) : err;
    });
    try {
      const s = await file.stat();
      if (!s.isFile()) throw new ObjectNotFoundError(key);
      if (range.start >= s.size) throw new RangeError(`byte range ${range.start}-${range.end} starts past the end of ${key} (${s.size} bytes)`);
      return file.createReadStream({ start: range.start, end: Math.min(range.end, s.size - 1) });
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectStat> {
    const s = await stat(this.path(key)).catch(() => undefined);
    if (!s?.isFile()) throw new ObjectNotFoundError(key);
    // A put renames a new file into place: a new inode (and usually a new mtime) for every version.
    return { size: s.size, lastModified: s.mtime, etag: `"${s.ino.toString(16)}-${s.size.toString(16)}-${Math.round(s.mtimeMs * 1000).toString(16)}"` };
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch {
      return false;
    }
  }

  localPath(key: string): string {
    return this.path(key);
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    const dir = prefix.endsWith('/') ? this.path(prefix.slice(0, -1)) : undefined;
    if (dir) {
      await rm(dir, { recursive: true, force: true });
      return;
    }
    const parent = dirname(this.path(prefix + '_'));
    const namePrefix = prefix.split('/').pop() ?? '';
    const entries = await readdir(parent).catch(() => [] as string[]);
    await Promise.all(entries.filter((e) => e.startsWith(namePrefix)).map((e) => rm(join(parent, e), { recursive: true, force: true })));
  }

  /** Resolves once the bucket's directory exists (made if need be) and is writable (readiness). */
  async ping(): Promise<void> {
    await mkdir(this.base, { recursive: true });
    await access(this.base, constants.W_OK);
  }

  async close(): Promise<void> {}
}
