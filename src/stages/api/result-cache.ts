import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import { IndexedResult } from './indexed-result.js';

/** A published result as the API serves it: indexed in memory, or (too large to hold) a stream. */
export type OpenedResult = { indexed: IndexedResult } | { stream: Readable };

/**
 * Published results kept in memory, least recently read out first, up to `maxBytes` in all (a
 * result holds about twice its document: the document and its whole answer). One holding more than
 * an eighth of that is streamed from the object store on every read instead (and remembered as
 * such, so only its first read buffers it). The same result asked for by several
 * requests at once is read once. Keyed by job and `ready_at`: a result never changes while its
 * job stays ready, and a re-publish gives a new `ready_at`.
 *
 * Why: at 1,000 reads/s a result read cost about 1 ms of CPU (opening the file, parsing every line
 * of the page and serialising it again); from memory it is a binary search and a splice.
 */
export class ResultCache {
  private readonly held: LRUCache<string, IndexedResult> | undefined;
  private readonly tooLarge = new LRUCache<string, true>({ max: 10_000 });
  private readonly loading = new Map<string, Promise<IndexedResult | undefined>>();
  private readonly maxEntryBytes: number;

  constructor(maxBytes: number) {
    // Read at most this much of a document: what it would hold is about twice that.
    this.maxEntryBytes = Math.floor(maxBytes / 16);
    this.held = maxBytes > 0 ? new LRUCache({ maxSize: maxBytes, maxEntrySize: Math.floor(maxBytes / 8), sizeCalculation: (r) => r.size }) : undefined;
  }

  /**
   * The result `open` reads (undefined: there is none), for the job `id` ready at `readyAt`.
   * `open` is called at most once for concurrent requests of a result that fits.
   */
  async get(id: string, readyAt: Date, open: () => Promise<Readable | undefined>): Promise<OpenedResult | undefined> {
    const key = `${id}@${readyAt.getTime()}`;
    const hit = this.held?.get(key);
    if (hit) return { indexed: hit };
    const held = this.held;
    if (!held || this.tooLarge.has(key)) return streamOf(await open());
    const pending = this.loading.get(key);
    if (pending) {
      const indexed = await pending;
      return indexed ? { indexed } : streamOf(await open());
    }
    let streamed: Readable | undefined;
    let missing = false;
    const load = (async () => {
      const doc = await open();
      if (!doc) return void (missing = true);
      const read = await readUpTo(doc, this.maxEntryBytes);
      if ('rest' in read) {
        this.tooLarge.set(key, true);
        streamed = read.rest;
        return undefined;
      }
      // A document in an older layout has no index: it is streamed (and parsed) as before.
      const indexed = IndexedResult.of(read.whole);
      if (indexed) held.set(key, indexed);
      else {
        this.tooLarge.set(key, true);
        streamed = Readable.from([read.whole]);
      }
      return indexed;
    })();
    this.loading.set(key, load);
    try {
      const indexed = await load;
      if (indexed) return { indexed };
      return missing ? undefined : streamed ? { stream: streamed } : undefined;
    } finally {
      this.loading.delete(key);
    }
  }
}

const streamOf = (doc: Readable | undefined): OpenedResult | undefined => (doc ? { stream: doc } : undefined);

/** The whole of `doc` if it is at most `max` bytes; else a stream of all of it (nothing read is lost). */
async function readUpTo(doc: Readable, max: number): Promise<{ whole: Buffer } | { rest: Readable }> {
  const it = (doc as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) return { whole: Buffer.concat(chunks, size) };
    chunks.push(r.value);
    size += r.value.length;
    if (size > max) {
      async function* replay(): AsyncGenerator<Buffer> {
        try {
          yield* chunks.splice(0);
          for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
        } finally {
          await it.return?.();
        }
      }
      return { rest: Readable.from(replay()) };
    }
  }
}
